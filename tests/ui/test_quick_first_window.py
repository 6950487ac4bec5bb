"""Quick first in the window: the filter bar says when a list mixes quick and full scores, the
status bar follows the pass under way; real Library, real widgets offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from humanaes_desktop.engine.profiles import ProfileMode  # noqa: E402
from humanaes_desktop.library.records import GalleryQuery, ProfileMix  # noqa: E402
from humanaes_desktop.pipeline.events import (  # noqa: E402
    AssessmentStored,
    ProgressChanged,
    WorkerState,
)
from humanaes_desktop.ui.gallery.filter_bar import profile_mix_text  # noqa: E402
from tests.support.assessments import SYNTHETIC_MODEL, make_assessment  # noqa: E402
from tests.support.libraries import FULL_PROFILE, KNOWN, fill_library  # noqa: E402
from tests.support.windows import open_window  # noqa: E402

QUICK_ONES = frozenset({"a_red.png", "c_blue.png"})


@pytest.fixture
def mixed(tmp_path):
    filled = fill_library(tmp_path / "library.sqlite3", tmp_path / "photos", quick=QUICK_ONES)
    yield filled
    filled.library.close()


def test_the_filter_bar_says_when_the_list_mixes_quick_and_full_scores(qtbot, mixed):
    window, client, bridge, _worker = open_window(qtbot, mixed.library)
    note = window.filter_bar.profile_mix
    qtbot.waitUntil(note.isVisible, timeout=5000)
    assert note.text() == "2 of 5 scored quickly — full scores pending"
    window.filter_bar.level_combo.setCurrentIndex(
        window.filter_bar.level_combo.findText("Only bad")
    )
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=5000)  # b_green: a full score only
    window.filter_bar.level_combo.setCurrentIndex(0)
    qtbot.waitUntil(note.isVisible, timeout=5000)
    # The full passes of both arrive, as the worker stores them.
    for job in mixed.library.claim_jobs(10, SYNTHETIC_MODEL.key, FULL_PROFILE.key):
        name = os.path.basename(job.path)
        if name not in QUICK_ONES:  # the unscored photo: not this test's business
            mixed.library.release_jobs([job])
            continue
        overall, environment = KNOWN[name]
        full = make_assessment(overall, {"environment": environment}, profile=FULL_PROFILE)
        mixed.library.store_assessment(job, full)
        bridge.listener(AssessmentStored(job.image_id, KNOWN[name][0], "good", job.path, True))
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=5000)
    client.shutdown()


def test_mix_wording():
    assert profile_mix_text(ProfileMix(quick=0, full=9)) == ""
    assert profile_mix_text(ProfileMix(40, 0, 40)) == "All 40 scored quickly — full scores pending"
    assert profile_mix_text(ProfileMix(12, 28, 5)) == (
        "12 of 40 scored quickly — 5 full score(s) pending"
    )
    assert (
        profile_mix_text(ProfileMix(12, 28, 0)) == "12 of 40 scored quickly (no full scores queued)"
    )


def progress(**values) -> ProgressChanged:
    base = dict(
        state=WorkerState.SCORING,
        images_per_s=0.5,
        current_path="/p/x.jpg",
        device="cpu",
        model_label="synthetic/tiny",
        synthetic=True,
        profile_mode=ProfileMode.QUICK_FIRST,
    )
    return ProgressChanged(**{**base, **values})


def test_the_status_bar_follows_the_quick_pass_then_the_full_one(qtbot, mixed):
    window, client, bridge, _worker = open_window(qtbot, mixed.library)
    status = window.status
    bridge.listener(
        progress(done=0, remaining=6, eta_s=None, quick_done=2, quick_remaining=4,
                 quick_eta_s=8.0, current_quick=True)
    )  # fmt: skip
    qtbot.waitUntil(lambda: status.queue_label.text() == "4 quick, then 6 full", timeout=3000)
    assert status.progress.text() == "2 / 6 quick"
    assert status.eta_label.text() == "ETA 8 s to quick scores"
    assert status.state_label.text() == "Quick score of x.jpg…"
    bridge.listener(progress(done=1, remaining=5, eta_s=70.0, quick_done=6, quick_remaining=0))
    qtbot.waitUntil(lambda: status.progress.text() == "1 / 6 full", timeout=3000)
    assert status.queue_label.text() == "5 queued"
    assert status.eta_label.text() == "ETA 1 min 10 s"
    assert status.state_label.text() == "Scoring x.jpg…"
    client.shutdown()


def test_one_pass_modes_keep_the_plain_progress(qtbot, mixed):
    window, client, bridge, _worker = open_window(qtbot, mixed.library)
    bridge.listener(progress(done=3, remaining=7, eta_s=70.0, profile_mode=ProfileMode.FULL))
    qtbot.waitUntil(lambda: window.status.progress.text() == "3 / 10 scored", timeout=3000)
    assert mixed.library.profile_counts(GalleryQuery()).quick == 2  # the note is the library's
    client.shutdown()
