"""Which passes the worker runs: the settings' mode settled for the device the model runs on."""

from __future__ import annotations

import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.profiles import ProfileKind, ProfileMode
from humanaes_desktop.library.records import Job
from humanaes_desktop.pipeline.plan import ScoringPlan

FULL = PreprocessProfile(max_tiles=12, decode="fast")


@pytest.mark.parametrize(
    ("mode", "device", "expected"),
    [
        ("auto", "cpu", ProfileMode.QUICK_FIRST),
        ("auto", "cuda", ProfileMode.FULL),
        ("auto", "mps", ProfileMode.FULL),
        ("quick_first", "cuda", ProfileMode.QUICK_FIRST),
        ("full", "cpu", ProfileMode.FULL),
        ("quick", "cuda", ProfileMode.QUICK),
    ],
)
def test_auto_means_quick_first_on_a_cpu_only(mode, device, expected):
    assert ScoringPlan.for_device(mode, FULL, device).mode is expected


def test_quick_first_scores_quick_passes_with_one_tile_and_the_same_decoding():
    plan = ScoringPlan.for_device(ProfileMode.QUICK_FIRST, FULL, "cpu")
    quick_job = Job(1, 1, "/a.jpg", 0, False, 0, quick=True)
    full_job = Job(2, 2, "/b.jpg", 0, False, 0)
    assert plan.profile_for(quick_job) == PreprocessProfile(max_tiles=1, decode="fast")
    assert plan.profile_for(full_job) == FULL
    assert plan.quick_key == "tiles=1;size=448;decode=fast" and plan.has_full_pass


def test_quick_only_ends_every_job_with_the_quick_profile():
    plan = ScoringPlan.for_device("quick", FULL, "cpu")
    assert plan.final.max_tiles == 1 and plan.quick_key is None and not plan.has_full_pass


def test_a_one_tile_full_profile_leaves_nothing_to_upgrade():
    plan = ScoringPlan.for_device("quick_first", PreprocessProfile(max_tiles=1), "cpu")
    assert plan.mode is ProfileMode.FULL and plan.quick_key is None
    assert not plan.has_full_pass  # no upgrade jobs that the quick scores would satisfy


def test_a_score_is_quick_only_with_one_tile():
    assert ProfileKind.of(1) is ProfileKind.QUICK
    assert ProfileKind.of(2) is ProfileKind.FULL
    assert ProfileKind.of(12) is ProfileKind.FULL
