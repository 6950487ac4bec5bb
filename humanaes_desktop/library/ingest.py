"""Bringing files that are new or changed on disk into the database (shared by scan and watch).

Reading files (fingerprint, header) happens before the write lock is taken, a batch at a time;
the batch is then written in one short transaction. A new file whose fingerprint matches an image
that vanished (or is MISSING) is that image moved: the row is re-pointed, keeping its id, scores
and ratings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from humanaes_desktop.library.assessments import CLEARED_SCORES
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import FileSeen, absolute_path, fingerprint
from humanaes_desktop.library.formats import (
    ImageInfo,
    ImageLoadError,
    UnsupportedFormatError,
    read_header,
    unsupported_reason,
)
from humanaes_desktop.library.jobs import drop_jobs, enqueue
from humanaes_desktop.library.records import ImageStatus, ScanReport
from humanaes_desktop.library.schema import AssessmentOrm, FolderOrm, ImageOrm

log = logging.getLogger(__name__)

BATCH_SIZE = 500
_READ_THREADS = 4  # file reads are I/O bound; a few threads hide the latency of cold disks


class Known(NamedTuple):
    """What the database knows about one image (a cheap subset of its row; a NamedTuple, as a
    rescan makes one per photo of the folder)."""

    id: int
    rel_path: str
    size: int
    mtime: float
    status: str
    fingerprint: str | None
    has_assessment: bool

    def unchanged(self, seen: FileSeen) -> bool:
        present = self.status != ImageStatus.MISSING.value
        return present and self.size == seen.size and self.mtime == seen.mtime


KNOWN_COLUMNS = (
    ImageOrm.id,
    ImageOrm.rel_path,
    ImageOrm.size,
    ImageOrm.mtime,
    ImageOrm.status,
    ImageOrm.fingerprint,
    ImageOrm.current_assessment_id.is_not(None),
)


def known_from_row(r: Any) -> Known:
    """A Known from a row that starts with KNOWN_COLUMNS."""
    return Known(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))


def known_from_rows(rows: Iterable[Any]) -> dict[str, Known]:
    return {r[1]: known_from_row(r) for r in rows}


@dataclass(frozen=True)
class Probe:
    """A file read just enough to identify it: fingerprint plus header info or why not."""

    seen: FileSeen
    fingerprint: str | None
    info: ImageInfo | None = None
    unsupported: str | None = None  # reason it is a format we cannot score
    error: str | None = None  # reason the header could not be read (permanent failure)


def probe(seen: FileSeen) -> Probe | None:
    """Fingerprint and header of one file; None if it vanished meanwhile.

    A file the system will not let us read right now (a lock, a permission, a flaky mount) is
    queued anyway: the worker's retries with backoff decide, and say why if it never reads.
    Only the content's verdict (damaged, not an image) fails a file here.
    """
    try:
        print_ = fingerprint(seen.abs_path, seen.size)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.info("%s not readable now (%s); queued for the worker to retry", seen.abs_path, exc)
        return Probe(seen, None)
    reason = unsupported_reason(seen.abs_path)
    if reason is not None:
        return Probe(seen, print_, unsupported=reason)
    try:
        return Probe(seen, print_, info=read_header(seen.abs_path))
    except UnsupportedFormatError as exc:
        return Probe(seen, print_, unsupported=str(exc))
    except ImageLoadError as exc:
        if not exc.permanent:  # locked or still moving: queue it; the worker retries with backoff
            log.info("header of %s not readable now: %s", seen.abs_path, exc)
            return Probe(seen, print_)
        return Probe(seen, print_, error=str(exc))
    except Exception as exc:  # a reader bug must cost one file its header, not the whole scan
        log.exception("reading the header of %s failed unexpectedly", seen.abs_path)
        return Probe(seen, print_, error=f"the image header could not be read ({exc!r})")


def _file_values(p: Probe, folder_id: int) -> dict[str, object]:
    seen = p.seen
    values: dict[str, object] = {
        "folder_id": folder_id,
        "rel_path": seen.rel_path,
        "file_name": os.path.basename(seen.abs_path),
        "size": seen.size,
        "mtime": seen.mtime,
        "fingerprint": p.fingerprint,
        "width": p.info.width if p.info else None,
        "height": p.info.height if p.info else None,
        "captured_at": p.info.captured_at if p.info else None,
    }
    return values


def _settled_status(p: Probe) -> tuple[str | None, str | None]:
    """(status, reason) for files that will not be queued; (None, None) for scorable ones."""
    if p.unsupported:
        return ImageStatus.UNSUPPORTED.value, p.unsupported
    if p.error:
        return ImageStatus.FAILED.value, p.error
    return None, None


class Ingest:
    """One folder's batch of new/changed files, written with the right status and jobs."""

    def __init__(self, session: Session, folder_id: int, vanished):
        self.session = session
        self.folder_id = folder_id
        self.known: dict[str, Known] = {}
        self.vanished = vanished  # fingerprint -> [Known]: images gone from this folder's tree
        self.counts: dict[str, int] = {}
        self.to_queue: list[tuple[int, float]] = []
        self.to_unqueue: list[int] = []

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def run(self, probes: Sequence[Probe]) -> ScanReport:
        # Re-read the rows under the write lock: the watcher may have written some of these
        # files since the caller looked (a scan and the watcher run side by side at startup).
        self.known = self._load_known([p.seen.rel_path for p in probes])
        missing = self._missing_by_fingerprint(
            [p for p in probes if p.seen.rel_path not in self.known]
        )
        new_rows: list[Probe] = []
        for p in probes:
            row = self.known.get(p.seen.rel_path)
            match = None if row else self._move_source(p, missing)
            if row is not None:
                self._update_known(p, row)
            elif match is not None:
                self._move(p, match)
            else:
                new_rows.append(p)
        self._insert(new_rows)
        drop_jobs(self.session, self.to_unqueue)
        enqueue(self.session, self.to_queue)
        return ScanReport(**self.counts)

    def _load_known(self, rel_paths: list[str]) -> dict[str, Known]:
        rows = self.session.execute(
            select(*KNOWN_COLUMNS).where(
                ImageOrm.folder_id == self.folder_id, ImageOrm.rel_path.in_(rel_paths)
            )
        ).all()
        return known_from_rows(rows)

    def _missing_by_fingerprint(self, probes: Sequence[Probe]) -> dict[str, Known]:
        """Images these new files may be moved copies of: MISSING ones, and present ones whose
        file is gone — a move between two watched folders reaches us as a creation in one and
        a deletion in the other, in either order."""
        prints = [p.fingerprint for p in probes if p.fingerprint]
        if not prints:
            return {}
        rows = self.session.execute(
            select(*KNOWN_COLUMNS, FolderOrm.path)
            .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
            .where(ImageOrm.fingerprint.in_(prints))
        ).all()
        # A missing image whose own path is in this batch is returning there, not moving: a
        # copy of it elsewhere must not take its row.
        returning = {k.id for k in self.known.values()}
        sources: dict[str, Known] = {}
        for row in rows:
            known = known_from_row(row)
            if known.id in returning:
                continue
            gone = known.status == ImageStatus.MISSING.value or not os.path.lexists(
                absolute_path(row[7], known.rel_path)
            )
            if gone and known.fingerprint is not None:  # selected by fingerprint: always set
                sources[known.fingerprint] = known
        return sources

    def _move_source(self, p: Probe, missing: dict[str, Known]) -> Known | None:
        if not p.fingerprint:
            return None
        candidates = self.vanished.get(p.fingerprint)
        if candidates:
            return candidates.pop()
        return missing.pop(p.fingerprint, None)

    def _move(self, p: Probe, source: Known) -> None:
        self._write_row(source.id, _file_values(p, self.folder_id))
        self._settle(p, source, content_changed=False)
        self._count("moved")

    def _update_known(self, p: Probe, row: Known) -> None:
        content_changed = p.fingerprint != row.fingerprint
        self._write_row(row.id, _file_values(p, self.folder_id))
        if content_changed:
            # The old scores describe another picture; ratings stay (the user rated this file).
            self.session.execute(delete(AssessmentOrm).where(AssessmentOrm.image_id == row.id))
            self._write_row(row.id, dict(CLEARED_SCORES))
            row = row._replace(has_assessment=False)
        self._settle(p, row, content_changed)
        if content_changed:
            self._count("changed")
        elif row.status == ImageStatus.MISSING.value:
            self._count("restored")
        else:
            self._count("unchanged")

    def _settle(self, p: Probe, row: Known, content_changed: bool) -> None:
        status, reason = _settled_status(p)
        if status is not None:
            self._write_row(row.id, {"status": status, "failure_reason": reason})
            self.to_unqueue.append(row.id)
        elif row.has_assessment and not content_changed:
            if row.status in (ImageStatus.MISSING.value, ImageStatus.UNSUPPORTED.value):
                self._write_row(row.id, {"status": ImageStatus.SCORED.value})
        else:
            self.to_queue.append((row.id, p.seen.mtime))

    def _write_row(self, image_id: int, values: dict[str, object]) -> None:
        self.session.execute(update(ImageOrm).where(ImageOrm.id == image_id).values(values))

    def _insert(self, probes: Sequence[Probe]) -> None:
        if not probes:
            return
        values = []
        for p in probes:
            status, reason = _settled_status(p)
            self._count(
                "added" if status is None else ("unsupported" if p.unsupported else "failed")
            )
            values.append(
                {
                    **_file_values(p, self.folder_id),
                    "status": status or ImageStatus.QUEUED.value,
                    "failure_reason": reason,
                }
            )
        self.session.execute(insert(ImageOrm), values)
        # Read the new ids back instead of INSERT ... RETURNING, which SQLite has only since
        # 3.35 (RHEL 8 ships 3.26). A batch is at most BATCH_SIZE paths: one IN list.
        inserted = self.session.execute(
            select(ImageOrm.id, ImageOrm.mtime).where(
                ImageOrm.folder_id == self.folder_id,
                ImageOrm.rel_path.in_([p.seen.rel_path for p in probes]),
                ImageOrm.status == ImageStatus.QUEUED.value,
            )
        ).all()
        self.to_queue += [(image_id, mtime) for image_id, mtime in inserted]


def probe_all(
    files: Sequence[FileSeen], on_batch: Callable[[list[Probe]], None], batch_size: int = BATCH_SIZE
) -> None:
    """Probe files on a few threads and hand them over in batches (in order)."""
    with ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="scan-read") as pool:
        for start in range(0, len(files), batch_size):
            chunk = files[start : start + batch_size]
            on_batch([p for p in pool.map(probe, chunk) if p is not None])


def ingest(db: Database, folder_id: int, probes: Sequence[Probe], vanished) -> ScanReport:
    """Write one batch of probed files of a folder in one transaction.

    `vanished` (fingerprint -> [Known]) offers images gone from the folder as move sources.
    """
    with db.write() as session:
        return Ingest(session, folder_id, vanished).run(probes)
