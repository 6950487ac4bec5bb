"""The GUI's access to the Library.

Reads that touch a page of rows or one image run on the GUI thread (they take a millisecond or
two); whole-library queries run on a read pool. The gallery's in-memory sort and filter columns
(library/arrays/) load on their own thread after start-up, and catch up there when told that
something changed; until they are loaded a query shows its first page from SQL. Every write (ratings, folders, scoring requests)
runs on ONE writer thread, in order, and its outcome comes back on the GUI thread: a rating is
safe once its transaction commits, whatever happens to the app afterwards. Folder scans get
their own thread so a long scan never delays a rating.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from humanaes_desktop.errors import UserError
from humanaes_desktop.library.records import (
    FolderRecord,
    GalleryIds,
    GalleryQuery,
    ImageDetail,
    ImageRow,
    ProfileMix,
    QueueCounts,
)
from humanaes_desktop.ui.background.tasks import TaskRunner, to_main

log = logging.getLogger(__name__)

# While the gallery arrays load, a query shows this many photos from SQL (an index walk: tens
# of milliseconds even at a million photos), and the whole answer once they are loaded.
FIRST_PAGE = 2_000

StatusCounts = dict[str, int]


class LibraryLike(Protocol):
    """The subset of `humanaes_desktop.library.Library` the GUI uses."""

    def folders(self) -> list[FolderRecord]: ...
    def status_counts(self, folder_id: int | None = None) -> Mapping[Any, int]: ...
    def query_ids(self, query: GalleryQuery) -> list[int]: ...
    def gallery_ids(self, query: GalleryQuery, *, first_page: int | None = None) -> GalleryIds: ...
    def load_gallery_arrays(self, progress: Callable[[int, int], None] | None = None) -> int: ...
    def sync_gallery_arrays(self) -> int: ...
    def warm_gallery_arrays(self) -> None: ...
    def rows(self, ids: Sequence[int]) -> list[ImageRow]: ...
    def detail(self, image_id: int) -> ImageDetail | None: ...
    def top_n(self, n: int, key: str, folder_id: int | None = None) -> list[ImageRow]: ...
    def queue_counts(self) -> QueueCounts: ...
    def profile_counts(self, query: GalleryQuery) -> ProfileMix: ...


def normalise_counts(counts: Mapping[Any, int]) -> StatusCounts:
    """Status counts keyed by the plain status string (the library may use ImageStatus keys)."""
    return {str(getattr(key, "value", key)): int(value) for key, value in counts.items()}


def _id_of(item: Any) -> int:
    # Library.top_n hands out ImageRows; accept plain ids too.
    return item if isinstance(item, int) else item.id


class LibraryClient(QObject):
    """Owns the reader, writer and scanner threads; create on the GUI thread."""

    ratings_changed = Signal(list)  # ids whose rating was written
    folders_changed = Signal()  # a folder was added, removed or scanned
    images_requeued = Signal(list)  # ids queued for scoring at high priority
    operation_failed = Signal(str)  # a sentence for the user
    arrays_progress = Signal(int, int)  # photos of the gallery arrays loaded so far, total
    arrays_ready = Signal()  # sorts and filters now come from memory, whole answers at once
    scan_progress = Signal(int, int)  # files a folder scan has read, of how many it must read

    def __init__(self, library: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._reads = TaskRunner(max_threads=2, name="library-reads")
        self._writer = TaskRunner(max_threads=1, name="library-writer")
        self._scanner = TaskRunner(max_threads=1, name="library-scanner")
        self._arrays = TaskRunner(max_threads=1, name="gallery-arrays")
        self._sync_queued = False
        self._closed = False

    # -- reads ------------------------------------------------------------------------------
    def rows(self, ids: Sequence[int]) -> list[ImageRow]:
        """One page of rows, synchronously (small: a few hundred ids at most)."""
        return self.library.rows(list(ids))

    def detail(self, image_id: int) -> ImageDetail | None:
        """One image's detail, synchronously."""
        return self.library.detail(image_id)

    def group_of(self, image_id: int) -> Any | None:
        """The burst or set holding this photo (library GroupRecord), synchronously; None
        when it is in none."""
        groups = self.library.groups(image_id=image_id)
        return groups[0] if groups else None

    def query_ids(self, query: GalleryQuery, on_done: Callable[[list[int]], None]) -> None:
        """Run a sort/filter query on the read pool; `on_done(ids)` on the GUI thread."""
        self._submit(self._reads, lambda: self.library.query_ids(query), on_done, self._read_failed)

    def profile_mix(self, query: GalleryQuery, on_done: Callable[[ProfileMix], None]) -> None:
        """How many photos of the query's list show quick scores and full ones (read pool)."""
        self._submit(
            self._reads, lambda: self.library.profile_counts(query), on_done, self._read_failed
        )

    def gallery_ids(self, query: GalleryQuery, on_done: Callable[[GalleryIds], None]) -> None:
        """The gallery's answer to `query` on the read pool: every id (an array) once the
        gallery arrays are loaded, the first FIRST_PAGE from SQL before (marked incomplete)."""
        self._submit(
            self._reads,
            lambda: self.library.gallery_ids(query, first_page=FIRST_PAGE),
            on_done,
            self._read_failed,
        )

    def load_gallery_arrays(self) -> None:
        """Load the gallery's sort and filter columns in the background (`arrays_progress`
        while it runs, `arrays_ready` at the end), then sort the usual keys ahead."""

        def progress(done: int, total: int) -> None:
            to_main(self.arrays_progress.emit, done, total, context=self)

        self._submit(
            self._arrays,
            lambda: self.library.load_gallery_arrays(progress),
            self._on_arrays_loaded,
            lambda exc: self._write_failed("Loading the gallery failed", exc),
        )

    def _on_arrays_loaded(self, _count: int) -> None:
        self.arrays_ready.emit()
        self._submit(self._arrays, self.library.warm_gallery_arrays, None, self._read_failed)

    def sync_gallery_arrays(self) -> None:
        """Something changed: catch the gallery arrays up in the background, so the next sort
        finds them current (queries catch up anyway; this takes the work off their path).
        Requests made while one is queued join it."""
        if self._sync_queued:
            return
        self._sync_queued = True

        def synced(_changed: int) -> None:
            self._sync_queued = False

        def failed(exc: BaseException) -> None:
            self._sync_queued = False
            self._read_failed(exc)

        self._submit(self._arrays, self.library.sync_gallery_arrays, synced, failed)

    def top_n(
        self, n: int, key: str, folder_id: int | None, on_done: Callable[[list[int]], None]
    ) -> None:
        """The best `n` ids by `key` (a score key) in a folder or everywhere."""
        self._submit(
            self._reads,
            lambda: [_id_of(item) for item in self.library.top_n(n, key, folder_id)],
            on_done,
            self._read_failed,
        )

    def load_folders(
        self,
        on_done: Callable[[tuple[list[FolderRecord], dict[int | None, StatusCounts]]], None],
    ) -> None:
        """Folders plus status counts per folder and in total."""
        self._submit(self._reads, self._folders_with_counts, on_done, self._read_failed)

    def _folders_with_counts(self) -> tuple[list[FolderRecord], dict[int | None, StatusCounts]]:
        folders = self.library.folders()
        counts: dict[int | None, StatusCounts] = {
            None: normalise_counts(self.library.status_counts(None))
        }
        for folder in folders:
            counts[folder.id] = normalise_counts(self.library.status_counts(folder.id))
        return folders, counts

    def others_version(self, on_done: Callable[[int], None]) -> None:
        """The library's version as other processes write it (changes only for their writes)."""
        self._submit(self._reads, self.library.others_version, on_done, self._read_failed)

    def queue_counts(self, on_done: Callable[[QueueCounts], None]) -> None:
        """Queue sizes from the database (before the worker reports its own progress)."""
        self._submit(self._reads, self.library.queue_counts, on_done, self._read_failed)

    # -- writes -----------------------------------------------------------------------------
    def set_rating(
        self,
        ids: Sequence[int],
        *,
        stars: int | None = None,
        flag: Any = None,
        color: str | None = None,
    ) -> None:
        """Write stars and/or a flag for these ids; `ratings_changed(ids)` once committed."""
        ids = list(ids)
        changes: dict[str, Any] = {}
        if stars is not None:
            changes["stars"] = stars
        if flag is not None:
            changes["flag"] = flag
        if color is not None:
            changes["color"] = color
        if not ids or not changes:
            return
        self._submit(
            self._writer,
            lambda: self.library.set_rating(ids, **changes),
            lambda _result: self.ratings_changed.emit(ids),
            lambda exc: self._write_failed("Could not save the rating", exc),
        )

    def accept_suggested_picks(
        self, folder_id: int | None, on_done: Callable[[dict[int, Any]], None]
    ) -> None:
        """Flag every burst's suggested frame picked, in one transaction on the writer;
        `on_done(previous flags)` (what `restore_flags` puts back) and `ratings_changed`."""

        def accept() -> dict[int, Any]:
            return self.library.accept_suggested_picks(folder_id)

        def accepted(previous: dict[int, Any]) -> None:
            self.ratings_changed.emit(list(previous))
            on_done(previous)

        self._submit(
            self._writer,
            accept,
            accepted,
            lambda exc: self._write_failed("Could not accept the suggested picks", exc),
        )

    def restore_flags(self, previous: dict[int, Any]) -> None:
        """Undo `accept_suggested_picks`: the flags go back to what they were."""
        self._submit(
            self._writer,
            lambda: self.library.restore_flags(previous),
            lambda _result: self.ratings_changed.emit(list(previous)),
            lambda exc: self._write_failed("Could not undo the accepted picks", exc),
        )

    def request_scoring(
        self,
        ids: Sequence[int],
        *,
        annotate: bool = False,
        on_done: Callable[[list[int]], None] | None = None,
    ) -> None:
        """Queue these images at high priority (the selection is scored first), all in one
        write; `on_done(queued ids)` and `images_requeued(queued ids)` once committed. Missing
        and unsupported photos are not among the queued."""
        ids = list(ids)

        def queued(really: list[int]) -> None:
            if on_done is not None:
                on_done(really)
            if really:
                self.images_requeued.emit(really)

        self._submit(
            self._writer,
            lambda: self.library.request_assessments(ids, annotate=annotate),
            queued,
            lambda exc: self._write_failed("Could not queue the photos for scoring", exc),
        )

    def add_folder(self, path: str, on_added: Callable[[FolderRecord], None] | None = None) -> None:
        """Add a watched folder, then scan it on the scanner thread."""

        def added(folder: FolderRecord) -> None:
            self.folders_changed.emit()
            if on_added is not None:
                on_added(folder)
            self.scan_folder(folder.id)

        self._submit(
            self._writer,
            lambda: self.library.add_folder(path),
            added,
            lambda exc: self._write_failed(f"Could not add the folder {path}", exc),
        )

    def remove_folder(self, folder_id: int) -> None:
        """Stop watching a folder (its photos leave the library)."""
        self._submit(
            self._writer,
            lambda: self.library.remove_folder(folder_id),
            lambda _result: self.folders_changed.emit(),
            lambda exc: self._write_failed("Could not remove the folder", exc),
        )

    def report_scan_progress(self, done: int, total: int) -> None:
        """A scan's progress callback (files read, of how many): safe from any thread."""
        to_main(self.scan_progress.emit, done, total, context=self)

    def scan_folder(self, folder_id: int) -> None:
        """Rescan one folder in the background; `folders_changed` when done."""
        self._submit(
            self._scanner,
            lambda: self.library.scan_folder(folder_id, self.report_scan_progress),
            lambda _result: self.folders_changed.emit(),
            lambda exc: self._write_failed("Scanning the folder failed", exc),
        )

    def scan_all(self) -> None:
        """Reconcile every folder with the disk (startup), in the background."""
        self._submit(
            self._scanner,
            lambda: self.library.scan_all(self.report_scan_progress),
            lambda _result: self.folders_changed.emit(),
            lambda exc: self._write_failed("Scanning the folders failed", exc),
        )

    def run_in_background(
        self, fn: Callable[[], Any], what: str, on_done: Callable[[Any], None] | None = None
    ) -> None:
        """Run other library maintenance (startup requeue, watcher start) off the GUI thread."""
        self._submit(self._scanner, fn, on_done, lambda exc: self._write_failed(what, exc))

    def _submit(self, runner: TaskRunner, fn, on_done=None, on_error=None) -> None:
        if self._closed:
            # Late timers or clicks during shutdown: the library is closing, nothing may start.
            log.warning("library is shutting down; ignoring %s", getattr(fn, "__name__", fn))
            return
        runner.run_task(fn, on_done, on_error)

    # -- lifecycle --------------------------------------------------------------------------
    def wait_for_writes(self, timeout_ms: int = 10_000) -> bool:
        """Block until queued writes have committed (used at shutdown and in tests)."""
        return self._writer.wait_idle(timeout_ms)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Finish pending writes and reads; refuse new ones. Call before closing the library."""
        self._closed = True
        for runner in (self._writer, self._scanner, self._arrays, self._reads):
            if not runner.shutdown(timeout_ms):
                log.error("library tasks still running after %d ms", timeout_ms)

    def _read_failed(self, exc: BaseException) -> None:
        log.error("library read failed", exc_info=exc)
        self.operation_failed.emit(f"Reading the library failed: {exc}")

    def _write_failed(self, what: str, exc: BaseException) -> None:
        if isinstance(exc, UserError):
            self.operation_failed.emit(str(exc))
        else:
            log.error("%s", what, exc_info=exc)
            self.operation_failed.emit(f"{what}: {exc}")
