"""What "your taste" needs from the library: the rated photos' scores, and the fitted model.

The learnt taste is a linear function of scores the image rows already carry (TASTE_FEATURES), so
it is never stored per photo: a sort by taste is an expression over those columns, and a photo
scored after the fit gets its taste value the moment its scores arrive. Only the fitted model (a
small JSON document) is stored, one per library.
"""

from __future__ import annotations

import json
import time

import numpy as np
from sqlalchemy import ColumnElement, case, delete, func, literal, select
from sqlalchemy.dialects.sqlite import insert

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS
from humanaes_desktop.library.db import Database, rows_affected
from humanaes_desktop.library.records import Flag, ImageStatus
from humanaes_desktop.library.schema import ImageOrm, RatingOrm, TasteModelOrm

# The inputs of the taste model, in order: the MetaVoter score, the fast score, the level (as
# 0 bad .. 4 excellent) and the 12 dimensions — all columns of the image row.
TASTE_FEATURES: tuple[str, ...] = ("overall", "fast_score", "level", *DIMENSION_KEYS)


def _feature_column(name: str) -> ColumnElement:
    if name == "level":
        return case({level: i for i, level in enumerate(LEVELS)}, value=ImageOrm.level)
    return getattr(ImageOrm, name)


def _scored():
    return (
        ImageOrm.current_assessment_id.is_not(None),
        ImageOrm.status != ImageStatus.MISSING.value,
    )


def rated_photos(db: Database) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ids, features [n, len(TASTE_FEATURES)], stars, flags) of the scored photos the user rated
    (any stars, a pick or a reject)."""
    statement = (
        select(ImageOrm.id, RatingOrm.stars, RatingOrm.flag, *map(_feature_column, TASTE_FEATURES))
        .join(RatingOrm, RatingOrm.image_id == ImageOrm.id)
        .where(*_scored(), (RatingOrm.stars > 0) | (RatingOrm.flag != Flag.NONE.value))
        .order_by(ImageOrm.id)
    )
    with db.read() as session:
        rows = session.execute(statement).all()
    if not rows:
        return (
            np.empty(0, int),
            np.empty((0, len(TASTE_FEATURES))),
            np.empty(0, int),
            np.empty(0, int),
        )
    table = np.array(rows, dtype=float)
    return table[:, 0].astype(int), table[:, 3:], table[:, 1].astype(int), table[:, 2].astype(int)


def scored_features(
    db: Database, image_ids: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, features) of every scored photo, or of the given ones that are scored."""
    statement = select(ImageOrm.id, *map(_feature_column, TASTE_FEATURES)).where(*_scored())
    if image_ids is not None:
        statement = statement.where(ImageOrm.id.in_(image_ids))
    with db.read() as session:
        rows = session.execute(statement.order_by(ImageOrm.id)).all()
    if not rows:
        return np.empty(0, int), np.empty((0, len(TASTE_FEATURES)))
    table = np.array(rows, dtype=float)
    return table[:, 0].astype(int), table[:, 1:]


def load_taste(db: Database) -> dict | None:
    """The stored taste model document, or None when none was fitted (or it was reset)."""
    with db.read() as session:
        payload = session.scalar(select(TasteModelOrm.payload).where(TasteModelOrm.id == 1))
    return None if payload is None else json.loads(payload)


def save_taste(db: Database, document: dict, ratings: int) -> None:
    """Replace the stored taste model (one per library)."""
    values = {"id": 1, "payload": json.dumps(document, sort_keys=True), "fitted_at": time.time(),
              "ratings": ratings}  # fmt: skip
    statement = insert(TasteModelOrm).values(values)
    statement = statement.on_conflict_do_update(index_elements=["id"], set_=values)
    with db.write() as session:
        session.execute(statement)


def reset_taste(db: Database) -> bool:
    """Forget the learnt taste; True if there was one."""
    with db.write() as session:
        return bool(rows_affected(session.execute(delete(TasteModelOrm))))


def ratings_changed_since(db: Database, timestamp: float) -> int:
    """How many photos' ratings changed after `timestamp` (what decides a refit)."""
    with db.read() as session:
        return session.scalar(select(func.count()).where(RatingOrm.updated_at > timestamp)) or 0


def taste_fitted_at(db: Database) -> float | None:
    with db.read() as session:
        return session.scalar(select(TasteModelOrm.fitted_at).where(TasteModelOrm.id == 1))


def taste_sort_expression(document: dict) -> ColumnElement:
    """The taste utility as SQL over the image row (NULL for unscored photos)."""
    weights = document["column_weights"]
    terms = [_feature_column(name) * literal(float(weights[name])) for name in TASTE_FEATURES]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
