"""Flat export rows (CSV/JSON): path, every score, level, the user's ratings, model identity."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.queries import query_ids
from humanaes_desktop.library.records import Flag, GalleryQuery
from humanaes_desktop.library.schema import AssessmentOrm, FolderOrm, ImageOrm, RatingOrm

EXPORT_FIELDS: tuple[str, ...] = (
    "path",
    "status",
    "failure_reason",
    "overall",
    "level",
    "fast_score",
    *DIMENSION_KEYS,
    "stars",
    "flag",
    "color",
    "synthetic",
    "model_repo",
    "model_revision",
    "weights_sha256",
    "profile",
    "profile_kind",
    "device",
    "dtype",
    "assessed_at",
)
_CHUNK = 2000


def _statement():
    return (
        select(
            ImageOrm.id,
            FolderOrm.path.label("folder_path"),
            ImageOrm.rel_path,
            ImageOrm.status,
            ImageOrm.failure_reason,
            AssessmentOrm,
            RatingOrm.stars,
            RatingOrm.flag,
            RatingOrm.color,
        )
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .outerjoin(AssessmentOrm, AssessmentOrm.id == ImageOrm.current_assessment_id)
        .outerjoin(RatingOrm, RatingOrm.image_id == ImageOrm.id)
    )


def _as_dict(r) -> dict:
    a: AssessmentOrm | None = r.AssessmentOrm
    scores = {
        key: getattr(a, key) if a else None for key in ("overall", "fast_score", *DIMENSION_KEYS)
    }
    values = {
        "path": absolute_path(r.folder_path, r.rel_path),
        "status": r.status,
        "failure_reason": r.failure_reason,
        **scores,
        "level": a.level if a else None,
        "stars": r.stars or 0,
        "flag": Flag(r.flag or 0).name.lower(),
        "color": r.color,
        "synthetic": bool(a.synthetic) if a else None,
        "model_repo": a.repo if a else None,
        "model_revision": a.revision if a else None,
        "weights_sha256": a.weights_sha256 if a else None,
        "profile": a.profile_key if a else None,
        "profile_kind": ProfileKind.of(a.max_tiles).value if a else None,
        "device": a.device if a else None,
        "dtype": a.dtype if a else None,
        "assessed_at": a.created_at if a else None,
    }
    return {field: values[field] for field in EXPORT_FIELDS}


def export_rows(db: Database, query: GalleryQuery | None = None) -> Iterator[dict]:
    """Rows with EXPORT_FIELDS keys; every image by path when `query` is None, else its order."""
    if query is None:
        with db.read() as session:
            ids = list(
                session.scalars(
                    select(ImageOrm.id)
                    .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
                    .order_by(FolderOrm.path, ImageOrm.rel_path)
                )
            )
    else:
        ids = query_ids(db, query)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        with db.read() as session:
            found = {
                r.id: _as_dict(r)
                for r in session.execute(_statement().where(ImageOrm.id.in_(chunk)))
            }
        yield from (found[i] for i in chunk if i in found)
