"""Known assessments and the records that carry them, built directly (no model, no database).

One place for the model identities the tests store scores under, the preprocessing profile the
library tests claim jobs with, and `make_assessment`, whose defaults are plausible values a test
overrides only where it asserts something.
"""

from __future__ import annotations

from collections.abc import Mapping

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.records import Flag, ImageDetail, ImageRow, ImageStatus, Rating
from tests.support.photos import PHOTOS_DIR

SYNTHETIC_MODEL = ModelIdentity("synthetic/tiny", "local", "0" * 64, synthetic=True)
REAL_MODEL = ModelIdentity(
    repo="KlingTeam/HumanAesExpert-1B",
    revision="b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183",
    weights_sha256="cd" * 32,
    synthetic=False,
)
PROFILE = PreprocessProfile(max_tiles=1)  # the profile the library tests claim jobs with

# Twelve distinct values across every level, in the model's tensor order.
KNOWN_DIMENSIONS: dict[str, float] = dict(
    zip(
        DIMENSION_KEYS,
        (0.91, 0.15, 0.33, 0.47, 0.62, 0.78, 0.05, 0.29, 0.55, 0.83, 0.66, 0.71),
        strict=True,
    )
)
EXPERT_TEXT = "1. Facial Brightness : excellent\n12. Comprehensive Aesthetic Score : good"


def derived_dimensions(overall: float) -> dict[str, float]:
    """Twelve dimension values that rise with `overall` (so sorts by any of them agree)."""
    return {key: round(overall * (0.5 + i / 24), 4) for i, key in enumerate(DIMENSION_KEYS)}


def make_assessment(
    overall: float = 0.5,
    dimensions: Mapping[str, float] | None = None,
    *,
    model: ModelIdentity = SYNTHETIC_MODEL,
    profile: PreprocessProfile = PROFILE,
    tiles: int = 1,
    annotation: str | None = None,
    fast_score: float | None = None,
    dtype: str = "float32",
    timings: Mapping[str, float] | None = None,
) -> Assessment:
    """A plausible assessment; `dimensions` replaces some or all of the derived values."""
    return Assessment(
        overall=overall,
        fast_score=overall * 0.9 if fast_score is None else fast_score,
        dimensions={**derived_dimensions(overall), **(dimensions or {})},
        expert_text=EXPERT_TEXT,
        annotation=annotation,
        model=model,
        profile=profile,
        device="cpu",
        dtype=dtype,
        tiles=tiles,
        timings=dict(timings or {"vision_s": 0.5}),
    )


def detailed_assessment(
    overall: float = 0.712,
    dimensions: Mapping[str, float] = KNOWN_DIMENSIONS,
    *,
    synthetic: bool = True,
    annotation: str | None = None,
    max_tiles: int = 6,
) -> Assessment:
    """What the breakdown widgets are tested with: known dimensions, 3 tiles of at most 6 (or
    `max_tiles`; one tile is a quick score) with the fast decode, fp32 on the CPU in 3.5 s, by
    the synthetic or the real model."""
    return make_assessment(
        overall,
        dimensions,
        model=SYNTHETIC_MODEL if synthetic else REAL_MODEL,
        profile=PreprocessProfile(max_tiles=max_tiles, decode="fast"),
        tiles=3 if max_tiles > 1 else 1,
        annotation=annotation,
        fast_score=0.644,
        dtype="fp32",
        timings={"vision": 1.25, "lm": 2.0, "total": 3.5},
    )


def make_detail(
    image_id: int = 7,
    photo: str = "astronaut.png",
    assessment: Assessment | None = None,
    *,
    status: ImageStatus = ImageStatus.SCORED,
    failure_reason: str | None = None,
    rating: Rating | None = None,
    full_pending: bool = False,
) -> ImageDetail:
    """The detail of one sample photo with this assessment (picked, 3 stars, green by default)."""
    path = PHOTOS_DIR / photo
    row = ImageRow(
        id=image_id,
        folder_id=1,
        path=str(path),
        file_name=photo,
        status=status,
        failure_reason=failure_reason,
        size=path.stat().st_size if path.exists() else 0,
        mtime=0.0,
        width=512,
        height=512,
        captured_at=None,
        overall=assessment.overall if assessment else None,
        level=assessment.level if assessment else None,
        dimensions=dict(assessment.dimensions) if assessment else None,
        synthetic=assessment.synthetic if assessment else None,
        rating=rating or Rating(stars=3, flag=Flag.PICKED, color="green"),
        max_tiles=assessment.profile.max_tiles if assessment else None,
    )
    return ImageDetail(
        row=row,
        assessment=assessment,
        assessed_at=1_764_000_000.0 if assessment else None,
        full_pending=full_pending,
    )
