"""Flat export rows (CSV/JSON): path, every score, level, the user's ratings, model identity,
and the culling signals (first pass, burst or set, suggested pick and its reasons)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from humanaes_desktop.engine.culling.hashes import to_unsigned
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.queries import query_ids
from humanaes_desktop.library.records import Flag, GalleryQuery
from humanaes_desktop.library.schema import (
    AssessmentOrm,
    FolderOrm,
    GroupMemberOrm,
    ImageOrm,
    RatingOrm,
    SignalsOrm,
)

# The first pass's columns, exported under their own names (hashes as 16 hex digits).
_SIGNAL_COLUMNS = (
    "capture_time",
    "time_source",
    "sharpness",
    "sharpness_peak",
    "face_sharpness",
    "eye_sharpness",
    "face_count",
    "eyes_closed",
    "soft",
    "clipped",
    "highlights_clipped",
    "shadows_clipped",
    "luma_mean",
    "exposure_bias",
)
SIGNAL_FIELDS: tuple[str, ...] = (
    *_SIGNAL_COLUMNS,
    "phash",
    "dhash",
    "group_kind",
    "group_key",
    "group_rank",
    "suggested_pick",
    "pick_reasons",
)
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
    *SIGNAL_FIELDS,
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
            *(getattr(SignalsOrm, name) for name in _SIGNAL_COLUMNS),
            SignalsOrm.phash,
            SignalsOrm.dhash,
            GroupMemberOrm.kind.label("group_kind"),
            GroupMemberOrm.group_key,
            GroupMemberOrm.rank.label("group_rank"),
            GroupMemberOrm.reasons.label("pick_reasons"),
        )
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .outerjoin(AssessmentOrm, AssessmentOrm.id == ImageOrm.current_assessment_id)
        .outerjoin(RatingOrm, RatingOrm.image_id == ImageOrm.id)
        .outerjoin(SignalsOrm, SignalsOrm.image_id == ImageOrm.id)
        .outerjoin(GroupMemberOrm, GroupMemberOrm.image_id == ImageOrm.id)
    )


def _signal_values(r) -> dict:
    values = {name: getattr(r, name) for name in _SIGNAL_COLUMNS}
    for name in ("eyes_closed", "soft", "clipped"):
        values[name] = None if values[name] is None else bool(values[name])
    for name in ("phash", "dhash"):
        value = getattr(r, name)
        values[name] = None if value is None else f"{to_unsigned(value):016x}"
    values["group_kind"] = r.group_kind
    values["group_key"] = r.group_key
    values["group_rank"] = r.group_rank
    values["suggested_pick"] = (r.group_rank == 0) if r.group_kind == "burst" else None
    values["pick_reasons"] = r.pick_reasons or None
    return values


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
        **_signal_values(r),
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
