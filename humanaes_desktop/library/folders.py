"""Watched folders: adding, removing, listing, availability and per-status counts."""

from __future__ import annotations

import os
import time

from sqlalchemy import delete, func, select, update

from humanaes_desktop.errors import UserError
from humanaes_desktop.library.db import Database, rows_affected
from humanaes_desktop.library.files import is_inside
from humanaes_desktop.library.jobs import drop_jobs
from humanaes_desktop.library.records import FolderRecord, ImageStatus
from humanaes_desktop.library.schema import FolderOrm, ImageOrm


class FolderError(UserError):
    """A folder cannot be added or found."""


def _record(row: FolderOrm, image_count: int = 0) -> FolderRecord:
    return FolderRecord(row.id, row.path, bool(row.available), image_count)


def _real(path: str) -> str:
    return os.path.realpath(path)


def _check_readable_directory(path: str) -> None:
    if not os.path.isdir(path):
        raise FolderError(f"{path} is not a folder; choose an existing folder of photos.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise FolderError(f"{path} cannot be read; check its permissions.")


def _check_no_overlap(session, path: str) -> None:
    real = _real(path)
    watched = session.scalars(select(FolderOrm).where(FolderOrm.watched.is_(True))).all()
    for folder in watched:
        other = _real(folder.path)
        if is_inside(real, other):
            raise FolderError(f"{path} is already watched as part of {folder.path}.")
        if is_inside(other, real):
            raise FolderError(
                f"{path} contains the watched folder {folder.path}; remove that one first."
            )


def add_folder(db: Database, path: str | os.PathLike) -> FolderRecord:
    """Start watching a folder (not scanned yet: call scan_folder)."""
    absolute = os.path.abspath(os.path.expanduser(os.fspath(path)))
    _check_readable_directory(absolute)
    with db.write() as session:
        _check_no_overlap(session, absolute)
        row = session.execute(select(FolderOrm).where(FolderOrm.path == absolute)).scalar()
        if row is None:
            row = FolderOrm(path=absolute, available=True, watched=True, added_at=time.time())
            session.add(row)
        else:  # re-adding a folder removed without purging: its images and ratings come back
            row.watched = True
            row.available = True
        session.flush()
        return _record(row)


def remove_folder(db: Database, folder_id: int, purge: bool = False) -> None:
    """Stop watching a folder. Without purge its images stay (MISSING) with scores and ratings,
    so adding it again restores them; with purge everything about it is deleted."""
    with db.write() as session:
        if session.get(FolderOrm, folder_id) is None:
            raise FolderError(f"There is no watched folder with id {folder_id}.")
        if purge:
            session.execute(delete(FolderOrm).where(FolderOrm.id == folder_id))
            return
        image_ids = session.scalars(
            select(ImageOrm.id).where(ImageOrm.folder_id == folder_id)
        ).all()
        drop_jobs(session, image_ids)
        mark_folder_missing(session, folder_id)
        session.execute(update(FolderOrm).where(FolderOrm.id == folder_id).values(watched=False))


def mark_folder_missing(session, folder_id: int) -> int:
    """Every present image of the folder becomes MISSING; returns how many changed."""
    result = session.execute(
        update(ImageOrm)
        .where(
            ImageOrm.folder_id == folder_id,
            ImageOrm.status != ImageStatus.MISSING.value,
        )
        .values(status=ImageStatus.MISSING.value)
    )
    return result.rowcount or 0


def list_folders(db: Database, with_counts: bool = True) -> list[FolderRecord]:
    """Watched folders with the number of their images that are present.

    Without counts (image_count 0) it skips a count over every image row: ~15 ms at 100k,
    which the watcher would otherwise pay every second and on every batch of events."""
    with db.read() as session:
        counts = {}
        if with_counts:
            counts = dict(
                session.execute(
                    select(ImageOrm.folder_id, func.count())
                    .where(ImageOrm.status != ImageStatus.MISSING.value)
                    .group_by(ImageOrm.folder_id)
                ).all()
            )
        rows = session.scalars(
            select(FolderOrm).where(FolderOrm.watched.is_(True)).order_by(FolderOrm.path)
        ).all()
        return [_record(row, counts.get(row.id, 0)) for row in rows]


def get_folder(db: Database, folder_id: int) -> FolderRecord:
    """One watched folder by id (FolderError if unknown or removed)."""
    with db.read() as session:
        row = session.get(FolderOrm, folder_id)
        if row is None or not row.watched:
            raise FolderError(f"There is no watched folder with id {folder_id}.")
        return _record(row)


def set_available(db: Database, folder_id: int, available: bool) -> None:
    """Record whether the folder's root exists right now."""
    with db.write() as session:
        session.execute(
            update(FolderOrm).where(FolderOrm.id == folder_id).values(available=available)
        )


def status_counts(db: Database, folder_id: int | None = None) -> dict[ImageStatus, int]:
    """Number of images per status (every status present, zeros included)."""
    statement = (
        select(ImageOrm.status, func.count())
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .where(FolderOrm.watched.is_(True))
        .group_by(ImageOrm.status)
    )
    if folder_id is not None:
        statement = statement.where(ImageOrm.folder_id == folder_id)
    with db.read() as session:
        found = dict(session.execute(statement).all())
    return {status: found.get(status.value, 0) for status in ImageStatus}


def purge_missing(db: Database, folder_id: int | None = None) -> int:
    """Delete MISSING images with their scores and ratings (the user's explicit clean-up)."""
    statement = delete(ImageOrm).where(ImageOrm.status == ImageStatus.MISSING.value)
    if folder_id is not None:
        statement = statement.where(ImageOrm.folder_id == folder_id)
    with db.write() as session:
        return rows_affected(session.execute(statement))
