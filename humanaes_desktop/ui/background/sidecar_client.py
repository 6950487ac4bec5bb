"""The GUI's access to the library's XMP sidecar sync (`Library.sidecars`).

Everything that touches a sidecar file runs off the GUI thread: the writer thread of the sync
writes rating changes behind; bulk writes ("Write metadata now"), conflict resolutions and
flushes run on this client's own serial runner, with progress and a cancel flag. Results come
back on the GUI thread as signals carrying plain records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from humanaes_desktop.library.xmp.records import SyncResult, XmpSettings
from humanaes_desktop.ui.background.tasks import TaskRunner, to_main

log = logging.getLogger(__name__)


class SidecarClient(QObject):
    """Create on the GUI thread with the library's `sidecars` object."""

    status_changed = Signal(object)  # SyncStatus (library.xmp.records)
    conflicts_loaded = Signal(list)  # [Conflict]
    photo_loaded = Signal(int, object)  # image id, PhotoSidecars
    synced = Signal(object)  # SyncResult of one photo (from the writer thread)
    ratings_imported = Signal(list)  # ids whose rating came from a sidecar
    bulk_progress = Signal(int, int)  # done, total
    bulk_finished = Signal(int, bool)  # photos synced, cancelled
    operation_failed = Signal(str)

    def __init__(self, sidecars: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sidecars = sidecars
        self._cancel = threading.Event()
        self._jobs = TaskRunner(max_threads=1, name="sidecar-jobs", cancel=self._cancel)
        self._reads = TaskRunner(max_threads=1, name="sidecar-reads")
        self.bulk_running = False

    # -- the writer thread's results ---------------------------------------------------------
    def start_writer(self) -> None:
        """Start the library's write-behind queue (call off the GUI thread: it reads the DB)."""
        self.sidecars.start_writer(on_result=self._on_writer_result)

    def _on_writer_result(self, result: SyncResult) -> None:
        # Called on the writer thread: hand over to the GUI thread.
        to_main(self._deliver_result, result, context=self)

    def _deliver_result(self, result: SyncResult) -> None:
        self.synced.emit(result)
        if result.imported:
            self.ratings_imported.emit([result.image_id])
        if result.error or result.conflicts:
            self.refresh_status()

    # -- reads ------------------------------------------------------------------------------
    def settings(self) -> XmpSettings:
        """The library's sidecar settings (one small read; fine on the GUI thread)."""
        return self.sidecars.settings()

    def refresh_status(self) -> None:
        """Counts of owed writes, conflicts and errors -> `status_changed`."""
        self._read(self.sidecars.status, self.status_changed.emit)

    def load_conflicts(self) -> None:
        """-> `conflicts_loaded`."""
        self._read(self.sidecars.conflicts, self.conflicts_loaded.emit)

    def load_photo(self, image_id: int) -> None:
        """One photo's sidecars, owed write, error and conflicts -> `photo_loaded`."""
        self._read(
            lambda: self.sidecars.photo(image_id), lambda p: self.photo_loaded.emit(image_id, p)
        )

    def _read(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        if not self._reads.closed:
            self._reads.run_task(fn, on_done, self._failed("Reading the sidecar state failed"))

    # -- writes -----------------------------------------------------------------------------
    def save_settings(self, settings: XmpSettings | None) -> None:
        """Store changed settings in the background (None: nothing to store)."""
        if settings is None:
            return
        changes = {
            name: getattr(settings, name)
            for name in settings.__dataclass_fields__
            if getattr(settings, name) != getattr(self.settings(), name)
        }
        if changes:
            self._job(
                lambda: self.sidecars.update_settings(**changes), lambda _s: self.refresh_status()
            )

    def flush(self) -> None:
        """Write every owed sidecar now (folder change), in the background."""
        self._job(lambda: self.sidecars.flush(timeout=60), lambda _ok: self.refresh_status())

    def write_all(self) -> None:
        """ "Write metadata now": sync every photo's sidecars with progress; cancel() stops."""
        if self.bulk_running:
            return
        self.bulk_running = True
        self._cancel.clear()

        def run() -> tuple[int, bool]:
            self.sidecars.flush(timeout=60)
            done = self.sidecars.sync(progress=self._report_progress, cancel=self._cancel)
            return done, self._cancel.is_set()

        self._job(run, self._bulk_done, on_error=self._bulk_failed)

    def _report_progress(self, done: int, total: int) -> None:
        if done == total or done % 25 == 0:  # a signal per photo would flood the event loop
            to_main(self.bulk_progress.emit, done, total, context=self)

    def _bulk_done(self, result: tuple[int, bool]) -> None:
        self.bulk_running = False
        self.bulk_finished.emit(*result)
        self.refresh_status()

    def _bulk_failed(self, exc: BaseException) -> None:
        self.bulk_running = False
        self._failed("Writing the sidecars failed")(exc)
        self.bulk_finished.emit(0, True)

    def cancel(self) -> None:
        """Stop a running bulk write after the current photo (written ones stay written)."""
        self._cancel.set()

    def resolve(self, choice: str, image_ids: list[int], remember: bool) -> None:
        """Settle conflicts; `conflicts_loaded` and `ratings_imported` follow."""

        def done(_count: int) -> None:
            self.ratings_imported.emit(list(image_ids))
            self.load_conflicts()
            self.refresh_status()

        self._job(lambda: self.sidecars.resolve(choice, image_ids, remember=remember), done)

    def _job(self, fn, on_done, on_error=None) -> None:
        if self._jobs.closed:
            log.warning("sidecar jobs are shut down; ignoring %s", getattr(fn, "__name__", fn))
            return
        self._jobs.run_task(fn, on_done, on_error or self._failed("Updating the sidecars failed"))

    def _failed(self, what: str) -> Callable[[BaseException], None]:
        def report(exc: BaseException) -> None:
            log.error("%s", what, exc_info=exc)
            self.operation_failed.emit(f"{what}: {exc}")

        return report

    # -- lifecycle --------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop bulk work after the current photo; wait for it and for reads."""
        for runner in (self._jobs, self._reads):
            if not runner.shutdown(timeout_ms):
                log.error("sidecar tasks still running after %d ms", timeout_ms)
