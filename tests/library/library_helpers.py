"""Helpers of the library tests: plausible assessments, scoring everything queued."""

from __future__ import annotations

from pathlib import Path

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library import Library
from tests.support.photos import PHOTOS_DIR, sample_photos

PHOTOS = PHOTOS_DIR
PHOTO_FILES = sample_photos()
SYNTHETIC = ModelIdentity("synthetic/tiny", "local", "0" * 64, synthetic=True)
PROFILE = PreprocessProfile(max_tiles=1)


def make_assessment(
    overall: float = 0.5,
    *,
    model: ModelIdentity = SYNTHETIC,
    profile: PreprocessProfile = PROFILE,
    annotation: str | None = None,
) -> Assessment:
    """A plausible assessment whose dimension values are derived from `overall`."""
    dims = {key: round(overall * (0.5 + i / 24), 4) for i, key in enumerate(DIMENSION_KEYS)}
    return Assessment(
        overall=overall,
        fast_score=overall * 0.9,
        dimensions=dims,
        expert_text="Comprehensive Aesthetic Score: good",
        annotation=annotation,
        model=model,
        profile=profile,
        device="cpu",
        dtype="float32",
        tiles=1,
        timings={"vision_s": 0.5},
    )


def score_all(lib: Library, base: float = 0.3, step: float = 0.1) -> dict[str, float]:
    """Claim and score every queued job with rising overall scores; returns file name -> score."""
    given: dict[str, float] = {}
    jobs = lib.claim_jobs(1000, SYNTHETIC.key, PROFILE.key)
    for i, job in enumerate(sorted(jobs, key=lambda j: j.path)):
        overall = round(min(base + i * step, 0.99), 4)
        lib.store_assessment(job, make_assessment(overall))
        given[Path(job.path).name] = overall
    return given
