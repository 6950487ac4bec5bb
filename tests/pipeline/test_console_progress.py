"""The headless progress lines: what a user watching `humanaes watch` reads."""

from __future__ import annotations

import io

from humanaes_desktop.engine.profiles import ProfileKind, ProfileMode
from humanaes_desktop.pipeline.console import ConsoleReporter
from humanaes_desktop.pipeline.events import (
    AssessmentStored,
    ImageFailed,
    ProgressChanged,
    WorkerState,
)
from humanaes_desktop.wording import format_duration


def progress(state, **kw) -> ProgressChanged:
    values = dict(
        done=3,
        remaining=5,
        images_per_s=0.5,
        eta_s=10.0,
        current_path="/p/portrait.jpg",
        device="cpu",
        model_label="synthetic/tiny (SYNTHETIC)",
        synthetic=True,
    )
    values.update(kw)
    return ProgressChanged(state=state, **values)


def test_scoring_line_shows_counts_rate_eta_file_and_synthetic_model():
    out = io.StringIO()
    ConsoleReporter(out)(progress(WorkerState.SCORING))
    line = out.getvalue()
    assert "scoring" in line and "3 done, 5 left" in line and "0.50 images/s" in line
    assert "ETA 10s" in line and "portrait.jpg" in line
    assert "(SYNTHETIC)" in line


def test_waiting_line_says_why():
    out = io.StringIO()
    ConsoleReporter(out)(
        progress(WorkerState.WAITING_FOR_MODEL, model_label=None, message="no model installed")
    )
    assert "waiting for model" in out.getvalue() and "no model installed" in out.getvalue()


def test_scores_of_a_synthetic_model_are_labelled_and_failures_name_the_file():
    out = io.StringIO()
    report = ConsoleReporter(out)
    report(AssessmentStored(1, 0.42, "fair", "/p/a.jpg", synthetic=True))
    report(ImageFailed(2, "not an image file", True, "/p/broken.jpg"))
    lines = out.getvalue().splitlines()
    assert "a.jpg: 0.420 fair" in lines[0] and "SYNTHETIC" in lines[0]
    assert "failed /p/broken.jpg: not an image file" in lines[1]


def test_identical_lines_are_not_repeated():
    out = io.StringIO()
    report = ConsoleReporter(out)
    report(progress(WorkerState.IDLE, eta_s=None, current_path=None))
    report(progress(WorkerState.IDLE, eta_s=None, current_path=None))
    assert len(out.getvalue().splitlines()) == 1


def test_durations_are_short():
    assert format_duration(45, compact=True) == "45s"
    assert format_duration(185, compact=True) == "3m05s"
    assert format_duration(7620, compact=True) == "2h07m"


def test_quick_first_lines_say_which_pass_and_what_follows():
    out = io.StringIO()
    report = ConsoleReporter(out)
    quick = dict(profile_mode=ProfileMode.QUICK_FIRST, eta_s=None, current_quick=True)
    # 2 quick scores stored, 1 photo (a small one) scored in full straight away
    first = dict(done=1, quick_done=2, quick_remaining=4, quick_eta_s=8)
    report(progress(WorkerState.SCORING, **first, **quick))
    report(
        AssessmentStored(
            1, 0.42, "fair", "/p/a.jpg", profile_kind=ProfileKind.QUICK, full_follows=True
        )
    )
    full = dict(profile_mode=ProfileMode.QUICK_FIRST, quick_done=6, eta_s=90.0)
    report(progress(WorkerState.SCORING, done=1, remaining=5, **full))
    report(AssessmentStored(1, 0.47, "fair", "/p/a.jpg"))
    lines = out.getvalue().splitlines()
    assert "quick pass 3 done, 4 left; 5 full score(s) to follow" in lines[0]
    assert "quick scores in 8s" in lines[0] and "portrait.jpg (quick)" in lines[0]
    assert "a.jpg: 0.420 fair (quick; full score to follow)" in lines[1]
    assert "full pass 5 left, 1 photo(s) finished" in lines[2] and "ETA 1m30s" in lines[2]
    assert lines[3].endswith("a.jpg: 0.470 fair")
