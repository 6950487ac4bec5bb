"""Storing engine Assessments as rows, rebuilding them, and keeping the image's score copy in sync.

An image's current assessment is the best one available: a newer model's over an older one's,
and, for one model, a full score over a quick one (so a quick pass stored after a full one, say
an explicit re-request in "quick only" mode, never hides the full score).
"""

from __future__ import annotations

import json
import time

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.schema import SCORE_COLUMNS, AssessmentOrm, ImageOrm

CLEARED_SCORES: dict[str, object] = {
    "current_assessment_id": None,
    "level": None,
    "synthetic": None,
    "max_tiles": None,
    **{key: None for key in SCORE_COLUMNS},
}


def _assessment_values(
    image_id: int, assessment: Assessment, created_at: float | None = None
) -> dict[str, object]:
    model, profile = assessment.model, assessment.profile
    return {
        "image_id": image_id,
        "model_key": model.key,
        "repo": model.repo,
        "revision": model.revision,
        "weights_sha256": model.weights_sha256,
        "synthetic": model.synthetic,
        "profile_key": profile.key,
        "max_tiles": profile.max_tiles,
        "input_size": profile.input_size,
        "decode": profile.decode,
        "overall": float(assessment.overall),
        "fast_score": float(assessment.fast_score),
        **{key: float(assessment.dimensions[key]) for key in DIMENSION_KEYS},
        "level": assessment.level,
        "expert_text": assessment.expert_text,
        "annotation": assessment.annotation,
        "timings_json": json.dumps(assessment.timings, sort_keys=True),
        "device": assessment.device,
        "dtype": assessment.dtype,
        "attention": assessment.attention or None,
        "tiles": int(assessment.tiles),
        "created_at": time.time() if created_at is None else created_at,
    }


def upsert_assessment(
    session: Session, image_id: int, assessment: Assessment, created_at: float | None = None
) -> int:
    """Insert the assessment, replacing an older one of the same (image, model, profile).

    `created_at`: when it was made, if not now (a result scored on a cluster and imported)."""
    values = _assessment_values(image_id, assessment, created_at)
    identity = ("image_id", "model_key", "profile_key")
    upsert = (
        insert(AssessmentOrm)
        .values(values)
        .on_conflict_do_update(
            index_elements=list(identity),
            set_={k: v for k, v in values.items() if k not in identity},
        )
    )
    session.execute(upsert)
    # Looked up rather than INSERT ... RETURNING, which SQLite has only since 3.35.
    return session.execute(
        select(AssessmentOrm.id).where(
            *(getattr(AssessmentOrm, column) == values[column] for column in identity)
        )
    ).scalar_one()


_COPIED = ("level", "synthetic", "max_tiles", *SCORE_COLUMNS)


def make_current(
    session: Session, image_id: int, assessment_id: int, *, replace_any: bool = False
) -> bool:
    """Point the image at an assessment and copy its scores onto the image row, unless the
    current one is better (the same model's full score against this quick one) and not
    `replace_any` (the current one may describe the file's old content).

    True when it became current. Runs inside the caller's transaction, so a full score
    replaces the quick one on the image row in the same commit that stores it.
    """
    source = session.execute(
        select(AssessmentOrm.model_key, *(getattr(AssessmentOrm, c) for c in _COPIED)).where(
            AssessmentOrm.id == assessment_id
        )
    ).one()
    better = _current_is_better(
        session, image_id, assessment_id, source.model_key, source.max_tiles
    )
    if better and not replace_any:
        return False
    values = dict(zip(_COPIED, source[1:], strict=True))
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id == image_id)
        .values(current_assessment_id=assessment_id, **values)
    )
    return True


def _current_is_better(
    session: Session, image_id: int, offered_id: int, model_key: str, max_tiles: int
) -> bool:
    if ProfileKind.of(max_tiles) is not ProfileKind.QUICK:
        return False  # a full score always takes over
    current = session.execute(
        select(AssessmentOrm.id, AssessmentOrm.model_key, AssessmentOrm.max_tiles)
        .join(ImageOrm, ImageOrm.current_assessment_id == AssessmentOrm.id)
        .where(ImageOrm.id == image_id)
    ).one_or_none()
    if current is None or current.id == offered_id:
        return False
    return current.model_key == model_key and ProfileKind.of(current.max_tiles) is ProfileKind.FULL


def assessment_from_row(row: AssessmentOrm) -> Assessment:
    """Rebuild the engine's Assessment from its stored row."""
    return Assessment(
        overall=row.overall,
        fast_score=row.fast_score,
        dimensions={key: getattr(row, key) for key in DIMENSION_KEYS},
        expert_text=row.expert_text,
        annotation=row.annotation,
        model=ModelIdentity(
            repo=row.repo,
            revision=row.revision,
            weights_sha256=row.weights_sha256,
            synthetic=bool(row.synthetic),
        ),
        profile=PreprocessProfile(
            max_tiles=row.max_tiles, input_size=row.input_size, decode=row.decode
        ),
        device=row.device,
        dtype=row.dtype,
        tiles=row.tiles,
        timings=json.loads(row.timings_json or "{}"),
        attention=row.attention or "",
    )
