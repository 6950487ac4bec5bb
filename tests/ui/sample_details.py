"""Known ImageDetail values for F's widget tests (built directly; no database needed)."""

from __future__ import annotations

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.records import Flag, ImageDetail, ImageRow, ImageStatus, Rating
from tests.support.photos import PHOTOS_DIR as PHOTOS

KNOWN_DIMENSIONS: dict[str, float] = dict(
    zip(
        DIMENSION_KEYS,
        (0.91, 0.15, 0.33, 0.47, 0.62, 0.78, 0.05, 0.29, 0.55, 0.83, 0.66, 0.71),
        strict=True,
    )
)

SYNTHETIC_MODEL = ModelIdentity(
    repo="synthetic/tiny", revision="local", weights_sha256="ab" * 32, synthetic=True
)
REAL_MODEL = ModelIdentity(
    repo="KlingTeam/HumanAesExpert-1B",
    revision="b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183",
    weights_sha256="cd" * 32,
    synthetic=False,
)


def make_assessment(
    overall: float = 0.712,
    dimensions: dict[str, float] | None = None,
    *,
    synthetic: bool = True,
    annotation: str | None = None,
) -> Assessment:
    return Assessment(
        overall=overall,
        fast_score=0.644,
        dimensions=dict(dimensions or KNOWN_DIMENSIONS),
        expert_text="1. Facial Brightness : excellent\n12. Comprehensive Aesthetic Score : good",
        annotation=annotation,
        model=SYNTHETIC_MODEL if synthetic else REAL_MODEL,
        profile=PreprocessProfile(max_tiles=6, decode="fast"),
        device="cpu",
        dtype="fp32",
        tiles=3,
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
) -> ImageDetail:
    path = PHOTOS / photo
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
    )
    return ImageDetail(
        row=row, assessment=assessment, assessed_at=1_764_000_000.0 if assessment else None
    )
