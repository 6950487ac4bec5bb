"""Applying file-system events (from the watcher) to the library, in one batch.

Order inside a batch: moves, then deletions, then created/modified files, so "replace a file"
(delete + create) and "rename then edit" both end in the right state. Every operation is
idempotent: an event seen twice, or a file the scan already knows, changes nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, literal, or_, select, update

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import (
    FileSeen,
    is_inside,
    relative_posix,
    stat_file,
    walk_folder,
)
from humanaes_desktop.library.folders import list_folders
from humanaes_desktop.library.formats import is_candidate_path
from humanaes_desktop.library.ingest import KNOWN_COLUMNS, ingest, known_from_rows, probe
from humanaes_desktop.library.jobs import drop_jobs
from humanaes_desktop.library.ratings import inherit_rating
from humanaes_desktop.library.records import ImageStatus, ScanReport
from humanaes_desktop.library.schema import ImageOrm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Place:
    folder_id: int
    folder_path: str
    rel_path: str


class _Locator:
    """Maps absolute paths to (watched folder, relative path)."""

    def __init__(self, db: Database) -> None:
        folders = list_folders(db, with_counts=False)
        # Longest first: the innermost folder wins (folders never nest, but be safe).
        self._folders = sorted(((f.path, f.id) for f in folders), key=lambda f: -len(f[0]))

    def locate(self, path: str) -> _Place | None:
        path = os.path.abspath(path)
        for folder_path, folder_id in self._folders:
            if path != folder_path and is_inside(path, folder_path):
                return _Place(folder_id, folder_path, relative_posix(folder_path, path))
        return None


def _under(rel_path: str):
    """Rows at `rel_path` itself or anywhere below it (a file or a directory)."""
    prefix = rel_path + "/"
    return or_(
        ImageOrm.rel_path == rel_path,
        func.substr(ImageOrm.rel_path, 1, len(prefix)) == prefix,
    )


def _replace_at(session, folder_id: int, rel_path: str, incoming_id: int) -> None:
    """The row at `rel_path` is overwritten by image `incoming_id`: it goes, its rating stays."""
    old_id = session.scalar(
        select(ImageOrm.id).where(ImageOrm.folder_id == folder_id, ImageOrm.rel_path == rel_path)
    )
    if old_id is not None and old_id != incoming_id:
        _drop_replaced(session, old_id, incoming_id)


def _drop_replaced(session, old_id: int, incoming_id: int) -> None:
    inherit_rating(session, old_id, incoming_id)
    session.execute(delete(ImageOrm).where(ImageOrm.id == old_id))


def _move_file_row(session, src: _Place, dst: _Place) -> int:
    image_id = session.scalar(
        select(ImageOrm.id).where(
            ImageOrm.folder_id == src.folder_id, ImageOrm.rel_path == src.rel_path
        )
    )
    if image_id is None:  # a file we never recorded (a temporary file, a .part download)
        return 0
    _replace_at(session, dst.folder_id, dst.rel_path, image_id)
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id == image_id)
        .values(
            folder_id=dst.folder_id,
            rel_path=dst.rel_path,
            file_name=dst.rel_path.rsplit("/", 1)[-1],
        )
    )
    return 1


def _rows_below(session, folder_id: int, prefix: str) -> dict[str, int]:
    """rel_path -> id of the rows of a folder whose path starts with `prefix` ("dir/")."""
    rows = session.execute(
        select(ImageOrm.rel_path, ImageOrm.id).where(
            ImageOrm.folder_id == folder_id,
            func.substr(ImageOrm.rel_path, 1, len(prefix)) == prefix,
        )
    ).all()
    return dict(rows)


def _move_directory_rows(session, src: _Place, dst: _Place) -> int:
    prefix, new_prefix = src.rel_path + "/", dst.rel_path + "/"
    inside = _rows_below(session, src.folder_id, prefix)
    if not inside:
        return 0
    # Rows left at the destination (photos deleted from a directory of the same name) would
    # collide with the arriving ones: the arriving photo replaces each, inheriting its rating.
    for rel_path, old_id in _rows_below(session, dst.folder_id, new_prefix).items():
        arriving = inside.get(prefix + rel_path[len(new_prefix) :])
        if arriving is not None and arriving != old_id:
            _drop_replaced(session, old_id, arriving)
    session.execute(
        update(ImageOrm)
        .where(
            ImageOrm.folder_id == src.folder_id,
            func.substr(ImageOrm.rel_path, 1, len(prefix)) == prefix,
        )
        .values(
            folder_id=dst.folder_id,
            rel_path=literal(new_prefix) + func.substr(ImageOrm.rel_path, len(prefix) + 1),
        )
    )
    return len(inside)


def _apply_move(db: Database, src: _Place, dst: _Place) -> int:
    """Re-point the rows of a moved file or directory; returns how many rows moved."""
    with db.write() as session:
        return _move_file_row(session, src, dst) + _move_directory_rows(session, src, dst)


def _apply_delete(db: Database, place: _Place) -> int:
    with db.write() as session:
        ids = session.scalars(
            select(ImageOrm.id).where(
                ImageOrm.folder_id == place.folder_id,
                _under(place.rel_path),
                ImageOrm.status != ImageStatus.MISSING.value,
            )
        ).all()
        drop_jobs(session, ids)
        session.execute(
            update(ImageOrm).where(ImageOrm.id.in_(ids)).values(status=ImageStatus.MISSING.value)
        )
    return len(ids)


def _files_at(path: str, folder_path: str) -> list[FileSeen]:
    if os.path.isdir(path):  # a directory created or moved in: everything below it is new
        rel_prefix = relative_posix(folder_path, path) + "/"
        return [
            FileSeen(rel_prefix + f.rel_path, f.abs_path, f.size, f.mtime)
            for f in walk_folder(path)
        ]
    seen = stat_file(path, folder_path)
    return [seen] if seen else []


def _apply_present(db: Database, locator: _Locator, paths: Iterable[str]) -> ScanReport:
    by_folder: dict[int, dict[str, FileSeen]] = {}
    for path in paths:
        place = locator.locate(path)
        if place is None:
            continue
        for seen in _files_at(os.path.abspath(path), place.folder_path):
            by_folder.setdefault(place.folder_id, {})[seen.rel_path] = seen
    report = ScanReport()
    for folder_id, files in by_folder.items():
        report += _ingest_present(db, folder_id, files)
    return report


def _ingest_present(db: Database, folder_id: int, files: dict[str, FileSeen]) -> ScanReport:
    rel_paths = list(files)
    known = {}
    with db.read() as session:
        for start in range(0, len(rel_paths), 5000):
            rows = session.execute(
                select(*KNOWN_COLUMNS).where(
                    ImageOrm.folder_id == folder_id,
                    ImageOrm.rel_path.in_(rel_paths[start : start + 5000]),
                )
            ).all()
            known.update(known_from_rows(rows))
    to_read = [s for rel, s in files.items() if rel not in known or not known[rel].unchanged(s)]
    probes = [p for p in map(probe, to_read) if p is not None]
    report = ScanReport(unchanged=len(files) - len(to_read))
    if probes:
        report += ingest(db, folder_id, probes, {})
    return report


def apply_fs_changes(
    db: Database,
    created: Iterable[str] = (),
    modified: Iterable[str] = (),
    deleted: Iterable[str] = (),
    moved: Iterable[tuple[str, str]] = (),
) -> ScanReport:
    """Apply one batch of file-system changes (absolute paths) to the library."""
    locator = _Locator(db)
    report = ScanReport()
    present = [*created, *modified]
    for src_path, dst_path in moved:
        src, dst = locator.locate(src_path), locator.locate(dst_path)
        if dst and not os.path.isdir(dst_path) and not is_candidate_path(dst_path):
            dst = None  # renamed to something that is no image (photo.jpg -> photo.jpg.bak)
        count = _apply_move(db, src, dst) if src and dst else 0
        if src and not dst:
            report += ScanReport(missing=_apply_delete(db, src))
        elif dst and count == 0:  # moved in from outside, or a path we never recorded
            present.append(dst_path)
        report += ScanReport(moved=count)
    for path in deleted:
        place = locator.locate(path)
        if place is not None:
            report += ScanReport(missing=_apply_delete(db, place))
    return report + _apply_present(db, locator, present)
