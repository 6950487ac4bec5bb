"""Gallery reads: sorted and filtered id lists (in SQL), row batches, detail, best-N."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS
from humanaes_desktop.engine.profiles import QUICK_MAX_TILES
from humanaes_desktop.errors import UserError
from humanaes_desktop.library.assessments import assessment_from_row
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.records import (
    MARKS,
    CullingMarks,
    Flag,
    GalleryQuery,
    ImageDetail,
    ImageRow,
    ImageStatus,
    ProfileMix,
    Rating,
)
from humanaes_desktop.library.schema import (
    AssessmentOrm,
    FolderOrm,
    GroupMemberOrm,
    ImageOrm,
    JobOrm,
    RatingOrm,
    SchemaMeta,
    SignalsOrm,
    TasteModelOrm,
)
from humanaes_desktop.library.taste_store import taste_sort_expression

# Sort keys whose column may be NULL (not scored yet / no EXIF): those rows always come last.
NULLABLE_SORTS = {"overall", "fast_score", "level", "captured_at", "taste", *DIMENSION_KEYS}
SORT_KEYS: tuple[str, ...] = (
    "overall",
    "fast_score",
    *DIMENSION_KEYS,
    "file_name",
    "captured_at",
    "mtime",
    "stars",
    "level",
    "status",
    "taste",
)


class TasteNotLearntError(UserError):
    """A sort by taste was asked for, but no taste model has earned its place."""


def _sort_column(key: str, session: Session) -> ColumnElement[Any]:
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; expected one of {SORT_KEYS}")
    if key == "taste":
        return _taste_column(session)
    if key == "level":  # levels are bands of the overall score, so this orders them too
        return ImageOrm.overall.expression
    return getattr(ImageOrm, key)


def _taste_column(session) -> ColumnElement:
    payload = session.scalar(select(TasteModelOrm.payload).where(TasteModelOrm.id == 1))
    document = None if payload is None else json.loads(payload)
    if not document or not document.get("offered"):
        reason = document["reason"] if document else "no taste has been learnt yet"
        raise TasteNotLearntError(f"Sorting by your taste is off: {reason}")
    return taste_sort_expression(document)


def _filtered(statement: Select, query: GalleryQuery) -> Select:
    if query.statuses:
        statement = statement.where(ImageOrm.status.in_([s.value for s in query.statuses]))
    else:
        statement = statement.where(ImageOrm.status != ImageStatus.MISSING.value)
    if query.folder_id is not None:
        statement = statement.where(ImageOrm.folder_id == query.folder_id)
    if query.levels:
        unknown = set(query.levels) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown levels {sorted(unknown)}; expected some of {LEVELS}")
        statement = statement.where(ImageOrm.level.in_(sorted(query.levels)))
    if query.min_overall is not None:
        statement = statement.where(ImageOrm.overall >= query.min_overall)
    if query.flags:
        statement = statement.where(ImageOrm.flag.in_([int(f) for f in query.flags]))
    if query.min_stars > 0:
        statement = statement.where(ImageOrm.stars >= query.min_stars)
    if query.text:
        statement = statement.where(_name_contains(query))
    return _culling_filtered(statement, query)


_MARK_CONDITIONS = {
    "soft": SignalsOrm.soft.is_(True),
    "eyes_closed": SignalsOrm.eyes_closed.is_(True),
    "clipped": SignalsOrm.clipped.is_(True),
    "faces": SignalsOrm.face_count > 0,
    "no_faces": SignalsOrm.face_count == 0,
}


def _culling_filtered(statement: Select, query: GalleryQuery) -> Select:
    if query.marks:
        unknown = set(query.marks) - set(MARKS)
        if unknown:
            raise ValueError(f"unknown marks {sorted(unknown)}; expected some of {MARKS}")
        conditions = [_MARK_CONDITIONS[m] for m in sorted(query.marks)]
        statement = statement.where(
            select(SignalsOrm.image_id)
            .where(SignalsOrm.image_id == ImageOrm.id, *conditions)
            .exists()
        )
    if query.best_of_bursts:
        hidden = (
            select(GroupMemberOrm.image_id)
            .where(
                GroupMemberOrm.image_id == ImageOrm.id,
                GroupMemberOrm.kind == "burst",
                GroupMemberOrm.rank != 0,
            )
            .exists()
        )
        statement = statement.where(~hidden)
    return statement


def _name_contains(query: GalleryQuery) -> ColumnElement:
    """File name contains `query.text`, ignoring case.

    Plain LIKE: SQLite's LIKE already ignores ASCII case, and its lower() folds only ASCII too,
    so `lower(name) LIKE lower(text)` matched the same names at one function call per row more.
    When nothing else narrows the rows down through an index (folder, stars, flags, minimum
    score), the names are scanned in the narrow (file_name, …) sort index instead of the wide
    rows: 23 ms instead of 46 ms at 100k (benchmarks/README.md). With such a filter the few
    rows it leaves are read directly (5 ms; the index scan would cost 17 ms there).
    """
    pattern = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    narrowed = (
        query.folder_id is not None
        or query.flags
        or query.min_stars
        or query.min_overall is not None
    )
    if narrowed:
        return ImageOrm.file_name.like(f"%{pattern}%", escape="\\")
    names = ImageOrm.__table__.alias("names")  # uncorrelated: its own scan of the index
    matching = select(names.c.id).where(names.c.file_name.like(f"%{pattern}%", escape="\\"))
    return ImageOrm.id.in_(matching)


def _ids(session, statement: Select) -> list[int]:
    # Straight from the DBAPI cursor: SQLAlchemy's per-row processing would double the cost of
    # a 100k-id list, and plain integers need none.
    result = session.connection().execute(statement)
    return [image_id for (image_id,) in result.cursor]


def _uses_only_index_columns(query: GalleryQuery) -> bool:
    """True when every filter is on status/folder, the columns the sort indexes carry."""
    return not (
        query.levels
        or query.min_overall is not None
        or query.flags
        or query.min_stars
        or query.text
        or query.marks
        or query.best_of_bursts
    )


def _order(column: ColumnElement[Any], query: GalleryQuery) -> ColumnElement[Any]:
    if query.sort_key != "taste" and not _uses_only_index_columns(query):
        # Other filters are selective (or need the table anyway): filter first, then sort the
        # few rows left. "+col" keeps SQLite from walking the sort index with a table lookup per
        # row (~300 ms at 100k instead of ~15 ms).
        column = literal_column(f"+{ImageOrm.__tablename__}.{column.key}")
    return column.desc() if query.descending else column.asc()


def query_ids(
    db: Database, query: GalleryQuery, *, limit: int | None = None, scored_only: bool = False
) -> list[int]:
    """Ids of every matching image in display order; unscored (NULL) values always last.

    Ties keep the sort index's order (no id tie-breaker: it would force a sort of 100k rows).
    """
    base = _filtered(select(ImageOrm.id), query)
    nullable = query.sort_key in NULLABLE_SORTS
    with db.read() as session:
        column = _sort_column(query.sort_key, session)
        # Two index-friendly queries instead of one "NULLS LAST" sort over the whole table.
        first = base.where(column.is_not(None)) if nullable else base
        ids = _ids(session, first.order_by(_order(column, query)).limit(limit))
        if nullable and not scored_only and (limit is None or len(ids) < limit):
            rest = None if limit is None else limit - len(ids)
            ids += _ids(session, base.where(column.is_(None)).order_by(ImageOrm.id).limit(rest))
    return ids


_ROW_COLUMNS = (
    ImageOrm.id,
    ImageOrm.folder_id,
    FolderOrm.path.label("folder_path"),
    ImageOrm.rel_path,
    ImageOrm.file_name,
    ImageOrm.status,
    ImageOrm.failure_reason,
    ImageOrm.size,
    ImageOrm.mtime,
    ImageOrm.width,
    ImageOrm.height,
    ImageOrm.captured_at,
    ImageOrm.overall,
    ImageOrm.level,
    ImageOrm.synthetic,
    ImageOrm.max_tiles,
    *(getattr(ImageOrm, key) for key in DIMENSION_KEYS),
    ImageOrm.stars,
    ImageOrm.flag,
    RatingOrm.color,
    SignalsOrm.image_id.label("signals_id"),
    SignalsOrm.soft,
    SignalsOrm.eyes_closed,
    SignalsOrm.clipped,
    SignalsOrm.face_count,
    GroupMemberOrm.group_key,
    GroupMemberOrm.kind.label("group_kind"),
    GroupMemberOrm.group_size,
    GroupMemberOrm.rank.label("group_rank"),
    GroupMemberOrm.reasons,
)


def _culling_marks(r) -> CullingMarks | None:
    if r.signals_id is None:
        return None
    return CullingMarks(
        soft=bool(r.soft),
        eyes_closed=bool(r.eyes_closed),
        clipped=bool(r.clipped),
        face_count=r.face_count or 0,
        group_key=r.group_key,
        group_kind=r.group_kind,
        group_size=r.group_size or 1,
        is_pick=r.group_rank == 0 and r.group_kind == "burst",
        reasons=tuple(x for x in (r.reasons or "").split(",") if x),
    )


def _image_row(r) -> ImageRow:
    scored = r.overall is not None
    return ImageRow(
        id=r.id,
        folder_id=r.folder_id,
        path=absolute_path(r.folder_path, r.rel_path),
        file_name=r.file_name,
        status=ImageStatus(r.status),
        failure_reason=r.failure_reason,
        size=r.size,
        mtime=r.mtime,
        width=r.width,
        height=r.height,
        captured_at=r.captured_at,
        overall=r.overall,
        level=r.level,
        dimensions={key: getattr(r, key) for key in DIMENSION_KEYS} if scored else None,
        synthetic=None if r.synthetic is None else bool(r.synthetic),
        rating=Rating(stars=r.stars or 0, flag=Flag(r.flag or 0), color=r.color),
        max_tiles=r.max_tiles,
        culling=_culling_marks(r),
    )


def _rows_statement() -> Select:
    return (
        select(*_ROW_COLUMNS)
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .outerjoin(RatingOrm, RatingOrm.image_id == ImageOrm.id)
        .outerjoin(SignalsOrm, SignalsOrm.image_id == ImageOrm.id)
        .outerjoin(GroupMemberOrm, GroupMemberOrm.image_id == ImageOrm.id)
    )


def rows(db: Database, ids: Sequence[int]) -> list[ImageRow]:
    """Rows for `ids`, in the given order; unknown ids are left out."""
    found: dict[int, ImageRow] = {}
    with db.read() as session:
        for start in range(0, len(ids), 5000):
            chunk = list(ids[start : start + 5000])
            for r in session.execute(_rows_statement().where(ImageOrm.id.in_(chunk))):
                found[r.id] = _image_row(r)
    return [found[i] for i in ids if i in found]


def detail(db: Database, image_id: int) -> ImageDetail | None:
    """The row plus the current assessment rebuilt as the engine's Assessment."""
    with db.read() as session:
        r = session.execute(_rows_statement().where(ImageOrm.id == image_id)).one_or_none()
        if r is None:
            return None
        current = session.scalar(
            select(AssessmentOrm)
            .join(ImageOrm, ImageOrm.current_assessment_id == AssessmentOrm.id)
            .where(ImageOrm.id == image_id)
        )
        if current is None:
            return ImageDetail(row=_image_row(r), assessment=None)
        pending = session.scalar(
            select(JobOrm.id).where(JobOrm.image_id == image_id, JobOrm.awaiting_full)
        )
        return ImageDetail(
            _image_row(r),
            assessment_from_row(current),
            current.created_at,
            full_pending=pending is not None,
        )


def profile_counts(db: Database, query: GalleryQuery) -> ProfileMix:
    """How many of the photos `query` shows have a quick score, how many a full one, and how
    many of the quick ones wait for their full pass."""
    quick = ImageOrm.max_tiles <= QUICK_MAX_TILES
    counted = _filtered(
        select(quick, func.count()).where(ImageOrm.max_tiles.is_not(None)), query
    ).group_by(quick)
    with db.read() as session:
        counts = {bool(is_quick): n for is_quick, n in session.execute(counted)}
    quick_count = counts.get(True, 0)
    waiting = full_pending(db, query) if quick_count else 0
    return ProfileMix(quick_count, counts.get(False, 0), waiting)


def full_pending(db: Database, query: GalleryQuery) -> int:
    """How many of the photos `query` shows have a quick score whose full pass is queued."""
    # From the (short) job table's side: only photos with a full pass queued.
    pending = _filtered(
        select(func.count())
        .select_from(JobOrm)
        .join(ImageOrm, ImageOrm.id == JobOrm.image_id)
        .where(JobOrm.awaiting_full, ImageOrm.max_tiles <= QUICK_MAX_TILES),
        query,
    )
    with db.read() as session:
        return session.scalar(pending) or 0


def top_n(db: Database, n: int, key: str = "overall", folder_id: int | None = None):
    """The n best scored images by `key` ("best N of this shoot")."""
    query = GalleryQuery(sort_key=key, descending=True, folder_id=folder_id)
    return rows(db, query_ids(db, query, limit=n, scored_only=True))


def data_version(db: Database) -> int:
    """A number that grows with every committed write (any process)."""
    with db.read() as session:
        return session.scalar(select(SchemaMeta.data_version)) or 0
