"""`SidecarSync`: the library's XMP sidecar sync, reached as `Library.sidecars`.

Thread-safe like the Library: any thread may call it; files are written by the writer thread
(when started) or, for the explicit bulk operations, on the caller's thread (never the GUI's:
the GUI calls those through its background runner).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select, update

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import (
    FolderOrm,
    ImageOrm,
    XmpConflictOrm,
    XmpSidecarOrm,
    XmpSyncOrm,
)
from humanaes_desktop.library.xmp import imports
from humanaes_desktop.library.xmp.imports import ImportReport
from humanaes_desktop.library.xmp.options import load_settings, save_settings
from humanaes_desktop.library.xmp.pending import mark_pending
from humanaes_desktop.library.xmp.records import (
    RESOLUTIONS,
    Conflict,
    PhotoSidecars,
    SidecarProblem,
    SyncResult,
    SyncStatus,
    XmpSettings,
)
from humanaes_desktop.library.xmp.sync import decode
from humanaes_desktop.library.xmp.writer import (
    DEBOUNCE_S,
    Progress,
    SidecarWriter,
    pending_ids,
    write_many,
)


class SidecarSync:
    """Writes ratings (and, when asked, scores) to sidecars and reads other tools' changes."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._writer: SidecarWriter | None = None
        self._lock = threading.Lock()

    # settings
    def settings(self) -> XmpSettings:
        """The library's sidecar settings."""
        return load_settings(self._db)

    def update_settings(self, **changes) -> XmpSettings:
        """Change some settings (ValueError, nothing stored, if one is invalid)."""
        return save_settings(self._db, **changes)

    # the write-behind queue
    def start_writer(
        self,
        debounce_s: float = DEBOUNCE_S,
        on_result: Callable[[SyncResult], None] | None = None,
    ) -> None:
        """Start the writer thread (once); sidecars left pending by a crash are written first."""
        with self._lock:
            if self._writer is None:
                self._writer = SidecarWriter(self._db, debounce_s=debounce_s, on_result=on_result)
                self._writer.start()

    def stop_writer(self, timeout: float | None = 30.0) -> bool:
        """Write what is queued and end the writer thread (at shutdown)."""
        with self._lock:
            writer, self._writer = self._writer, None
        return writer.stop(timeout) if writer is not None else True

    def changed(self, image_ids: Iterable[int]) -> None:
        """Ratings of these photos were committed: their sidecars follow after the debounce."""
        writer = self._writer
        if writer is not None:
            writer.notify(image_ids)

    def flush(self, timeout: float | None = None) -> bool:
        """Write every owed sidecar now (quit, folder change, "Write metadata now")."""
        writer = self._writer
        if writer is not None:
            return writer.flush(timeout)
        self.write_pending()
        return True

    # bulk work
    def write_pending(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> int:
        """Write the owed sidecars on this thread, with progress and cancel."""
        settings = self.settings()
        if not settings.enabled:
            return 0
        return write_many(
            self._db, pending_ids(self._db), settings, progress=progress, cancel=cancel
        )

    def sync(
        self,
        image_ids: Sequence[int] | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Read, merge and write the sidecars of these photos (default: every present photo)."""
        settings = self.settings()
        if not settings.enabled:
            return 0
        ids = list(image_ids) if image_ids is not None else self._present_ids()
        return write_many(self._db, ids, settings, progress=progress, cancel=cancel)

    def _present_ids(self) -> list[int]:
        with self._db.read() as session:
            return list(
                session.scalars(
                    select(ImageOrm.id).where(ImageOrm.status != ImageStatus.MISSING.value)
                )
            )

    # reading back
    def import_folder(self, folder_id: int) -> ImportReport:
        """Read back the changed sidecars of a folder (after its scan)."""
        settings = self.settings()
        if not settings.enabled:
            return ImportReport()
        return imports.import_folder(self._db, folder_id, settings)

    def import_paths(self, paths: Iterable[str]) -> ImportReport:
        """Read back the sidecars and JPEGs among these changed paths (watcher events)."""
        paths = [p for p in paths if p.lower().endswith((".xmp", ".jpg", ".jpeg", ".jpe"))]
        settings = self.settings()
        if not paths or not settings.enabled:
            return ImportReport()
        return imports.import_paths(self._db, paths, settings)

    # what the user sees
    def status(self) -> SyncStatus:
        """Counts of owed writes, known sidecars, conflicts and errors."""
        with self._db.read() as session:
            count = session.scalar
            return SyncStatus(
                settings=load_settings(self._db),
                pending=count(select(func.count()).where(XmpSyncOrm.pending)) or 0,
                sidecars=count(select(func.count()).select_from(XmpSidecarOrm)) or 0,
                conflicts=count(select(func.count()).select_from(XmpConflictOrm)) or 0,
                errors=count(select(func.count()).where(XmpSyncOrm.error.is_not(None))) or 0,
            )

    def problems(self) -> list[SidecarProblem]:
        """Photos whose sidecar could not be read or written, with the reason."""
        with self._db.read() as session:
            rows = session.execute(
                select(XmpSyncOrm.image_id, FolderOrm.path, ImageOrm.rel_path, XmpSyncOrm.error)
                .join(ImageOrm, ImageOrm.id == XmpSyncOrm.image_id)
                .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
                .where(XmpSyncOrm.error.is_not(None))
                .order_by(ImageOrm.rel_path)
            ).all()
        return [SidecarProblem(i, absolute_path(f, r), e or "") for i, f, r, e in rows]

    def conflicts(self, image_ids: Sequence[int] | None = None) -> list[Conflict]:
        """Fields changed both in the app and in a sidecar, oldest first."""
        query = (
            select(XmpConflictOrm, FolderOrm.path, ImageOrm.rel_path)
            .join(ImageOrm, ImageOrm.id == XmpConflictOrm.image_id)
            .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
            .order_by(XmpConflictOrm.detected_at, XmpConflictOrm.image_id)
        )
        if image_ids is not None:
            query = query.where(XmpConflictOrm.image_id.in_(list(image_ids)))
        with self._db.read() as session:
            rows = session.execute(query).all()
        return [
            Conflict(
                c.image_id,
                absolute_path(f, r),
                c.field,
                c.app_value,
                c.file_value,
                c.sidecar_path,
                c.file_mtime,
                c.app_changed_at,
            )
            for c, f, r in rows
        ]

    def photo(self, image_id: int) -> PhotoSidecars:
        """One photo's sidecars, owed write, error and conflicts."""
        with self._db.read() as session:
            sync = session.get(XmpSyncOrm, image_id)
            paths = session.scalars(
                select(XmpSidecarOrm.path).where(XmpSidecarOrm.image_id == image_id)
            ).all()
        return PhotoSidecars(
            tuple(sorted(paths)),
            bool(sync and sync.pending),
            sync.error if sync else None,
            tuple(self.conflicts([image_id])),
        )

    def resolve(
        self,
        choice: str,
        image_ids: Sequence[int] | None = None,
        *,
        remember: bool = False,
    ) -> int:
        """Settle conflicts: keep the app's value, take the file's, or the newest; optionally
        remember the choice for future conflicts. Returns how many fields were settled."""
        if choice not in RESOLUTIONS:
            raise ValueError(f"choice must be one of {', '.join(RESOLUTIONS)}, not {choice!r}")
        conflicts = self.conflicts(image_ids)
        with self._db.write() as session:
            for c in conflicts:
                # Moving the merge base settles it: base = file value makes the app win,
                # base = app value makes the file win.
                keep_app = choice == "app" or (choice == "newest" and not _file_newer(c))
                base = decode(c.field, c.file_value if keep_app else c.app_value)
                session.execute(
                    update(XmpSyncOrm)
                    .where(XmpSyncOrm.image_id == c.image_id)
                    .values({f"base_{c.field}": int(base) if c.field != "color" else base})
                )
            mark_pending(session, sorted({c.image_id for c in conflicts}))
        if remember:
            self.update_settings(conflict_policy=choice)
        if conflicts and self.settings().enabled:
            self.sync(sorted({c.image_id for c in conflicts}))
        return len(conflicts)


def _file_newer(conflict: Conflict) -> bool:
    if conflict.file_mtime is None:
        return False
    return conflict.app_changed_at is None or conflict.file_mtime > conflict.app_changed_at
