"""What the database knows for the sync of one photo, and recording a sync's outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.ratings import write_ratings
from humanaes_desktop.library.records import Flag, ImageStatus
from humanaes_desktop.library.schema import (
    AssessmentOrm,
    FolderOrm,
    ImageOrm,
    RatingOrm,
    XmpConflictOrm,
    XmpSidecarOrm,
    XmpSyncOrm,
)
from humanaes_desktop.library.xmp.fields import Ratings, ScoreValues
from humanaes_desktop.library.xmp.records import Conflict


@dataclass(frozen=True)
class Base:
    """The last synced value of each field; None where a field was never synced."""

    stars: int | None = None
    flag: Flag | None = None
    color: str | None = None
    rating_raw: str | None = None

    def get(self, name: str):
        return getattr(self, name)

    def as_ratings(self) -> Ratings | None:
        if self.stars is None or self.flag is None or self.color is None:
            return None
        return Ratings(self.stars, self.flag, self.color)


@dataclass(frozen=True)
class SidecarStamp:
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class ImageState:
    """One photo as the sync sees it."""

    image_id: int
    path: str
    photo_stamp: str  # size:mtime of the photo, for noticing a changed embedded packet
    app: Ratings
    app_changed_at: float | None
    change_seq: int
    pending: bool  # the sidecar owes an update
    base: Base
    sidecars: dict[str, SidecarStamp]
    scores: ScoreValues | None
    embedded_stamp: str | None


def photo_stamp(size: int, mtime: float) -> str:
    """A photo's cheap identity as the sync records it (its embedded packet may change)."""
    return f"{size}:{mtime!r}"


def _scores(session: Session, assessment_id: int | None) -> ScoreValues | None:
    if assessment_id is None:
        return None
    a = session.get(AssessmentOrm, assessment_id)
    if a is None:
        return None
    return ScoreValues(
        overall=a.overall,
        level=a.level,
        dimensions={k: getattr(a, k) for k in DIMENSION_KEYS},
        model=f"{a.repo}@{a.revision}",
        profile=a.profile_key,
        scored_at=datetime.fromtimestamp(a.created_at, timezone.utc).isoformat(timespec="seconds"),
        synthetic=a.synthetic,
    )


def load_state(db: Database, image_id: int) -> ImageState | None:
    """The photo's ratings, merge base, sidecar stamps and scores; None if it is not on disk."""
    with db.read() as session:
        row = session.execute(
            select(ImageOrm, FolderOrm.path)
            .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
            .where(ImageOrm.id == image_id)
        ).one_or_none()
        if row is None or row[0].status == ImageStatus.MISSING.value:
            return None
        image, folder_path = row
        rating = session.get(RatingOrm, image_id)
        sync = session.get(XmpSyncOrm, image_id)
        stamps = session.execute(
            select(XmpSidecarOrm).where(XmpSidecarOrm.image_id == image_id)
        ).scalars()
        return ImageState(
            image_id=image_id,
            path=absolute_path(folder_path, image.rel_path),
            photo_stamp=photo_stamp(image.size, image.mtime),
            app=Ratings(rating.stars, Flag(rating.flag), rating.color or "")
            if rating
            else Ratings(),
            app_changed_at=rating.updated_at if rating else None,
            change_seq=sync.change_seq if sync else 0,
            pending=bool(sync and sync.pending),
            base=_base(sync),
            sidecars={s.path: SidecarStamp(s.size, s.mtime_ns, s.sha256) for s in stamps},
            scores=_scores(session, image.current_assessment_id),
            embedded_stamp=sync.embedded_stamp if sync else None,
        )


def _base(sync: XmpSyncOrm | None) -> Base:
    if sync is None:
        return Base()
    flag = None if sync.base_flag is None else Flag(sync.base_flag)
    return Base(sync.base_stars, flag, sync.base_color, sync.base_rating_raw)


@dataclass
class SyncRecord:
    """Everything one sync of one photo writes back to the database, in one transaction."""

    state: ImageState
    imports: dict[str, object] = field(default_factory=dict)  # field -> value taken from the file
    base: dict[str, object] = field(default_factory=dict)  # field -> newly synced value
    rating_raw: str | None = None
    sidecars: dict[str, SidecarStamp] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    pending: bool = False
    error: str | None = None


class StateChanged(Exception):
    """The app changed the photo's rating while the sync ran; sync it again."""


def _rating_columns(imports: dict[str, Any]) -> dict[str, object]:
    columns: dict[str, object] = {}
    for name, value in imports.items():
        if name == "flag":
            columns["flag"] = int(value)
        elif name == "color":
            columns["color"] = value or None
        else:
            columns[name] = value
    return columns


def record_sync(db: Database, record: SyncRecord) -> bool:
    """Store a sync's outcome. False if the user changed the photo's rating while the sync ran:
    then what the files now hold is still recorded, but nothing is imported over the user's
    change and the photo stays pending, so the caller syncs it again."""
    state = record.state
    with db.write() as session:
        current = session.get(XmpSyncOrm, state.image_id)
        unchanged = (current.change_seq if current else 0) == state.change_seq
        if session.get(ImageOrm, state.image_id) is None:
            return True  # purged meanwhile
        base = dict(record.base)
        if unchanged and record.imports:
            write_ratings(session, [state.image_id], _rating_columns(record.imports))
        elif record.imports:
            for name in record.imports:  # not imported: the next round merges it again
                base.pop(name, None)
        values = {
            "pending": record.pending or not unchanged,
            "error": record.error,
            "embedded_stamp": state.photo_stamp,
            "synced_at": time.time(),
            **{f"base_{name}": _stored(value) for name, value in base.items()},
        }
        if record.error is None:
            values["base_rating_raw"] = record.rating_raw
        _upsert(session, XmpSyncOrm, {"image_id": state.image_id, "change_seq": 0}, values)
        if record.error is None:
            _replace_stamps(session, state.image_id, record.sidecars)
            _replace_conflicts(session, state.image_id, record.conflicts if unchanged else [])
    return unchanged


def _stored(value):
    return int(value) if isinstance(value, Flag) else value


def _upsert(session: Session, orm, keys: dict, values: dict) -> None:
    statement = insert(orm).values({**keys, **values})
    statement = statement.on_conflict_do_update(index_elements=list(keys)[:1], set_=values)
    session.execute(statement)


def _replace_stamps(session: Session, image_id: int, sidecars: dict[str, SidecarStamp]) -> None:
    session.execute(delete(XmpSidecarOrm).where(XmpSidecarOrm.image_id == image_id))
    if sidecars:
        # A path may still be recorded for another photo (a sidecar that changed hands).
        session.execute(delete(XmpSidecarOrm).where(XmpSidecarOrm.path.in_(list(sidecars))))
        session.execute(
            insert(XmpSidecarOrm),
            [
                {
                    "path": p,
                    "image_id": image_id,
                    "size": s.size,
                    "mtime_ns": s.mtime_ns,
                    "sha256": s.sha256,
                }
                for p, s in sidecars.items()
            ],
        )


def _replace_conflicts(session: Session, image_id: int, conflicts: list[Conflict]) -> None:
    session.execute(delete(XmpConflictOrm).where(XmpConflictOrm.image_id == image_id))
    now = time.time()
    for c in conflicts:
        session.add(
            XmpConflictOrm(
                image_id=image_id,
                field=c.field,
                app_value=c.app_value,
                file_value=c.file_value,
                sidecar_path=c.sidecar_path,
                file_mtime=c.file_mtime,
                app_changed_at=c.app_changed_at,
                detected_at=now,
            )
        )
