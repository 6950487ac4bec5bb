"""Reconciling a watched folder with the disk: new, changed, moved, missing and returned files.

Unchanged files (same size and mtime) cost one stat and one dictionary lookup; only the rest are
read (fingerprint + header) and written, in batches, so a rescan of an unchanged 100k tree is a
walk plus one query.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import FileSeen, absolute_path, walk_folder
from humanaes_desktop.library.folders import get_folder, list_folders, mark_folder_missing
from humanaes_desktop.library.ingest import (
    KNOWN_COLUMNS,
    Known,
    Probe,
    ingest,
    known_from_rows,
    probe_all,
)
from humanaes_desktop.library.jobs import drop_jobs
from humanaes_desktop.library.records import FolderRecord, ImageStatus, ScanReport
from humanaes_desktop.library.schema import FolderOrm, ImageOrm

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def load_known(db: Database, folder_id: int) -> dict[str, Known]:
    """Every image of a folder, keyed by relative path."""
    statement = select(*KNOWN_COLUMNS).where(ImageOrm.folder_id == folder_id)
    with db.read() as session:  # off the DBAPI cursor: a folder may hold a million rows
        cursor: Any = session.connection().execute(statement).cursor
        return known_from_rows(cursor)


def _folder_gone(db: Database, folder: FolderRecord) -> ScanReport:
    with db.write() as session:
        session.execute(update(FolderOrm).where(FolderOrm.id == folder.id).values(available=False))
        ids = session.scalars(select(ImageOrm.id).where(ImageOrm.folder_id == folder.id))
        drop_jobs(session, list(ids))
        missing = mark_folder_missing(session, folder.id)
    log.warning(
        "watched folder %s is not available; %d images marked missing", folder.path, missing
    )
    return ScanReport(missing=missing)


def _mark_vanished_missing(db: Database, folder: FolderRecord, vanished: list[Known]) -> int:
    # Re-check each file and only touch rows still at the path the scan saw: the watcher may
    # have brought a file back or re-pointed its row (a rename) while the scan ran.
    gone = [k for k in vanished if not os.path.lexists(absolute_path(folder.path, k.rel_path))]
    if not gone:
        return 0  # an unchanged rescan writes nothing (the GUI's data_version stays put)
    marked = 0
    images = ImageOrm.__table__  # Core: an executemany of conditional per-row updates
    with db.write() as session:
        for start in range(0, len(gone), 5000):
            chunk = gone[start : start + 5000]
            result = session.connection().execute(
                update(images)
                .where(
                    images.c.id == bindparam("image_id"),
                    images.c.folder_id == folder.id,
                    images.c.rel_path == bindparam("path"),
                )
                .values(status=ImageStatus.MISSING.value),
                [{"image_id": k.id, "path": k.rel_path} for k in chunk],
            )
            marked += result.rowcount or 0
            drop_jobs(session, [k.id for k in chunk])
    return marked


def scan_folder(db: Database, folder_id: int, progress: Progress | None = None) -> ScanReport:
    """Bring one watched folder's images in line with its files on disk."""
    folder = get_folder(db, folder_id)
    if not os.path.isdir(folder.path):
        return _folder_gone(db, folder)
    if not folder.available:
        with db.write() as session:
            session.execute(
                update(FolderOrm).where(FolderOrm.id == folder_id).values(available=True)
            )
    known = load_known(db, folder_id)
    to_read: list[FileSeen] = []
    unchanged = 0
    present: set[str] = set()
    for seen in walk_folder(folder.path):
        present.add(seen.rel_path)
        row = known.get(seen.rel_path)
        if row is not None and row.unchanged(seen):
            unchanged += 1
        else:
            to_read.append(seen)
    vanished_rows = [
        k
        for rel, k in known.items()
        if rel not in present and k.status != ImageStatus.MISSING.value
    ]
    report = ScanReport(unchanged=unchanged)
    report += _ingest_files(db, folder, to_read, vanished_rows, progress)
    return report


def _ingest_files(
    db: Database,
    folder: FolderRecord,
    to_read: list[FileSeen],
    vanished_rows: list[Known],
    progress: Progress | None,
) -> ScanReport:
    folder_id = folder.id
    # Vanished images are move candidates for the new files; those left unmatched become MISSING.
    vanished: dict[str, list[Known]] = {}
    for row in vanished_rows:
        if row.fingerprint:
            vanished.setdefault(row.fingerprint, []).append(row)
    total = len(to_read)
    done = 0
    report = ScanReport()
    if progress is not None:
        progress(0, total)

    def on_batch(probes: list[Probe]) -> None:
        nonlocal report, done
        report += ingest(db, folder_id, probes, vanished)
        done += len(probes)
        if progress is not None:
            progress(done, total)

    probe_all(to_read, on_batch)
    unmatched = [k for k in vanished_rows if not k.fingerprint]
    unmatched += [k for rows in vanished.values() for k in rows]
    report += ScanReport(missing=_mark_vanished_missing(db, folder, unmatched))
    return report


def scan_all(db: Database, progress: Progress | None = None) -> ScanReport:
    """Scan every watched folder; the report is the sum of theirs."""
    report = ScanReport()
    for folder in list_folders(db):
        report += scan_folder(db, folder.id, progress)
    return report
