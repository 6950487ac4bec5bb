"""Watching the library's folders: one watchdog observer, one recursive watch per root.

The observer thread only records events (`PendingChanges`); a single applier thread turns ready
batches into `Library.apply_fs_changes` calls and polls each root's existence, so an unmounted
drive marks its images missing and a returning one is rescanned and watched again.

Start the watcher *before* the startup scan: a file created between the two is then seen by one
of them (both are idempotent, so seeing it twice is harmless).

A batch (or a rescan) that fails to apply — typically the database held by another process
beyond `busy_timeout` — is kept and retried with backoff, in order, before anything later: a
photo copied in while the library was busy is still queued once it is free.

At archive scale the system's limits show (watch_limits.py): a tree with more directories than
inotify lets the user watch is watched in part and rescanned periodically (the user is told how
to raise the limit), and when the kernel drops events in a burst every folder is rescanned.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.exc import OperationalError
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from humanaes_desktop.library import watch_limits
from humanaes_desktop.library.files import walk_folder
from humanaes_desktop.library.records import ScanReport
from humanaes_desktop.library.watch_pending import Batch, PendingChanges

log = logging.getLogger(__name__)

_EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
TICK_S = 0.1  # how often ready changes are applied
POLL_S = 1.0  # how often each root's existence (and the folder list) is checked
FALLBACK_RESCAN_S = 60.0  # rescan period of a root the system refuses to watch (at least)
RESCAN_SHARE = 20  # ... and at least this many times what its last rescan took (large trees)
RETRY_FIRST_S = 0.5  # a failed batch is tried again after this, then twice as long each time
RETRY_MAX_S = 30.0
# What a later try can cure: the database locked or busy (another process), a disk hiccup.
_WORTH_RETRYING = (OperationalError, OSError)


class _Recorder(FileSystemEventHandler):
    """Runs on the observer thread: records, never touches the database."""

    def __init__(
        self, pending: PendingChanges, wake: threading.Event, dir_gone: Callable[[str], None]
    ) -> None:
        self._pending = pending
        self._wake = wake
        self._dir_gone = dir_gone

    def on_any_event(self, event: FileSystemEvent) -> None:
        src = os.fsdecode(event.src_path)
        if isinstance(event, (DirDeletedEvent, DirMovedEvent)):
            self._dir_gone(src)
        if isinstance(event, (FileMovedEvent, DirMovedEvent)):
            self._pending.moved(src, os.fsdecode(event.dest_path))
        elif isinstance(event, (FileDeletedEvent, DirDeletedEvent)):
            self._pending.deleted(src)
        elif isinstance(event, DirCreatedEvent):
            self._pending.directory_created(src)
        elif isinstance(event, FileClosedEvent):
            self._pending.closed(src)
        elif isinstance(event, (FileCreatedEvent, FileModifiedEvent)):
            self._pending.written(src)
        else:
            return
        self._wake.set()


@dataclass
class _Root:
    path: str
    watch: ObservedWatch | None
    # (device, inode) of the directory watched: a root deleted and made again (a drive
    # unmounted and mounted) between two polls is another directory, no longer watched.
    identity: tuple[int, int] | None = None
    # Set when the system refused a watch (inotify limit): the root is rescanned periodically.
    unwatchable_since: float | None = None
    last_rescan: float = 0.0
    rescan_seconds: float = 0.0  # what the last rescan took

    def rescan_period(self) -> float:
        """How often a root that is not (fully) watched is rescanned."""
        return max(FALLBACK_RESCAN_S, RESCAN_SHARE * self.rescan_seconds)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


class _Backoff:
    """When to try again after failures: RETRY_FIRST_S, doubling up to RETRY_MAX_S."""

    def __init__(self) -> None:
        self.failures = 0
        self.next_try = 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_try

    def failed(self, now: float) -> float:
        self.failures += 1
        delay = min(RETRY_FIRST_S * 2 ** (self.failures - 1), RETRY_MAX_S)
        self.next_try = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures, self.next_try = 0, 0.0


def _changed(report: ScanReport) -> bool:
    return any(getattr(report, name) for name in report.__dataclass_fields__ if name != "unchanged")


class FolderWatcher:
    """Keeps the library in step with its folders while the application runs."""

    def __init__(
        self,
        library,
        on_change: Callable[[], None] | None = None,
        settle_s: float = 1.0,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        """`on_change()` after changes were applied; `on_warning(sentence)` when a folder
        cannot be watched completely (both called on the watcher's own thread)."""
        self._library = library
        self._on_change = on_change
        self._on_warning = on_warning
        self._overflowed = threading.Event()
        self._alarm = watch_limits.OverflowAlarm(self._on_overflow)
        self._pending = PendingChanges(settle_s)
        self._wake = threading.Event()
        self._sync_requested = threading.Event()
        self._stop = threading.Event()
        self._roots: dict[int, _Root] = {}
        self._gone_lock = threading.Lock()
        self._gone_dirs: set[str] = set()  # directories deleted or moved away since the last poll
        # Work taken from `_pending` (or asked for by a poll) that is not applied yet, in order.
        self._unapplied: deque[Batch] = deque()
        self._rescans_due: list[int] = []  # folder ids whose rescan is owed
        self._backoff = _Backoff()
        self._observer = Observer()
        self._handler = _Recorder(self._pending, self._wake, self._on_dir_gone)
        self._thread = threading.Thread(target=self._run, name="library-watch", daemon=True)

    def start(self) -> None:
        """Watch every folder of the library and start applying changes."""
        self._alarm.attach()
        self._sync_roots(rescan_returning=False)
        self._observer.start()  # the watches are made now
        for root in self._roots.values():
            if root.watch is not None:
                self._check_complete(root)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; changes already complete are applied first."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join()
        self._alarm.detach()

    def watch_count(self) -> int | None:
        """inotify watches held (one per watched directory; None where there are none)."""
        return watch_limits.watches_in_use()

    def _on_overflow(self) -> None:
        self._overflowed.set()
        self._wake.set()

    def refresh(self) -> None:
        """Pick up folders added or removed since start now (polling does it every second)."""
        self._sync_requested.set()
        self._wake.set()

    def _run(self) -> None:
        last_poll = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(TICK_S)
            self._wake.clear()
            # Wall-clock time, not loop turns: events wake the loop early and often.
            if self._sync_requested.is_set() or time.monotonic() - last_poll >= POLL_S:
                self._sync_requested.clear()
                last_poll = time.monotonic()
                self._guard(self._sync_roots)
            self._guard(self._apply_ready)
            if self._overflowed.is_set() and self._burst_applied():
                self._guard(self._rescan_after_overflow)
        # A last try; what the database still refuses is found by the next start's scan.
        self._guard(self._apply_ready)

    def _burst_applied(self) -> bool:
        """Nothing recorded is waiting, nor anything the database refused (retried first)."""
        return not self._pending.has_pending() and not self._unapplied

    def _rescan_after_overflow(self) -> None:
        """Events were dropped: once the burst has been applied, find what they were about."""
        self._overflowed.clear()
        log.warning("the system dropped file events during a burst; rescanning the folders")
        for folder_id in list(self._roots):
            self._rescan(folder_id)

    def _guard(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception:  # the watcher must outlive one bad batch; the next scan repairs it
            log.exception("applying file-system changes failed")

    def _apply_ready(self) -> None:
        batch = self._pending.take_ready()
        if batch:
            self._expand_new_dirs(batch)
            self._unapplied.append(batch)
        now = time.monotonic()
        if not (self._unapplied or self._rescans_due) or not self._backoff.due(now):
            return
        try:
            self._apply_unapplied()
        except _WORTH_RETRYING:  # kept for the next try: a busy database must not lose photos
            delay = self._backoff.failed(now)
            log.warning(
                "applying %d file-system change(s) failed (attempt %d); retrying in %.1f s",
                sum(len(b.created) + len(b.deleted) + len(b.moved) for b in self._unapplied),
                self._backoff.failures,
                delay,
                exc_info=self._backoff.failures == 1,  # the traceback once, not every retry
            )
            return
        if self._backoff.failures:
            log.info("file-system changes applied after %d failed attempts", self._backoff.failures)
        self._backoff.succeeded()

    def _apply_unapplied(self) -> None:
        while self._rescans_due:
            folder_id = self._rescans_due[0]
            self._dropping_on_bugs(partial(self._rescan_now, folder_id), f"rescan of {folder_id}")
            self._rescans_due.pop(0)
        while self._unapplied:
            batch = self._unapplied[0]
            self._dropping_on_bugs(partial(self._apply, batch), f"batch of {len(batch.created)}")
            self._unapplied.popleft()  # only once it is in the database

    @staticmethod
    def _dropping_on_bugs(step: Callable[[], None], what: str) -> None:
        """Run a step; an error retrying cannot cure (a bug, a removed folder) drops it, loudly."""
        try:
            step()
        except _WORTH_RETRYING:
            raise
        except Exception:  # the next scan repairs what this step would have done
            log.exception("dropping the %s after an unexpected error", what)

    def _apply(self, batch: Batch) -> None:
        report = self._library.apply_fs_changes(
            created=batch.created, deleted=batch.deleted, moved=batch.moved
        )
        log.debug(
            "applied %d created, %d deleted, %d moved: %s",
            len(batch.created),
            len(batch.deleted),
            len(batch.moved),
            report,
        )
        if _changed(report) and self._on_change is not None:
            self._on_change()

    def _expand_new_dirs(self, batch: Batch) -> None:
        # Files inside a directory moved or copied in may never get their own events; they go
        # through the same "complete?" wait as any other new file.
        for directory in batch.new_dirs:
            for seen in walk_folder(directory):
                self._pending.written(seen.abs_path)

    def _on_dir_gone(self, path: str) -> None:
        with self._gone_lock:
            self._gone_dirs.add(path)

    def _take_gone_dirs(self) -> set[str]:
        with self._gone_lock:
            gone, self._gone_dirs = self._gone_dirs, set()
        return gone

    def _sync_roots(self, rescan_returning: bool = True) -> None:
        folders = {f.id: f for f in self._library.folders(with_counts=False)}
        for folder_id in set(self._roots) - set(folders):
            self._unwatch(self._roots.pop(folder_id))
        gone_dirs = self._take_gone_dirs()
        for folder in folders.values():
            root = self._roots.setdefault(folder.id, _Root(folder.path, None))
            present = os.path.isdir(folder.path)
            if present and root.watch is not None and self._replaced(root, gone_dirs):
                log.info("watched folder %s was replaced; watching it again", root.path)
                self._unwatch(root)
                root.watch = self._watch(root)
                self._rescan(folder.id)
            elif present and root.unwatchable_since is not None:
                self._poll_unwatchable(folder.id, root)
            elif present and root.watch is None:
                root.watch = self._watch(root)
                if rescan_returning and not folder.available:
                    self._rescan(folder.id)
            elif not present and (root.watch is not None or folder.available):
                self._unwatch(root)
                self._rescan(folder.id)  # marks its images missing, the folder unavailable

    @staticmethod
    def _replaced(root: _Root, gone_dirs: set[str]) -> bool:
        return root.path in gone_dirs or _identity(root.path) != root.identity

    def _poll_unwatchable(self, folder_id: int, root: _Root) -> None:
        now = time.monotonic()
        if now - root.last_rescan >= root.rescan_period():
            root.last_rescan = now
            self._rescan(folder_id)

    def _rescan(self, folder_id: int) -> None:
        """Owe this folder a rescan; it runs with the changes, retried with them if it fails."""
        if folder_id not in self._rescans_due:
            self._rescans_due.append(folder_id)

    def _rescan_now(self, folder_id: int) -> None:
        started = time.monotonic()
        report = self._library.scan_folder(folder_id)
        root = self._roots.get(folder_id)
        if root is not None:  # what it took sets how often an unwatched root is rescanned
            root.rescan_seconds = time.monotonic() - started
        if _changed(report) and self._on_change is not None:
            self._on_change()

    def _watch(self, root: _Root) -> ObservedWatch | None:
        root.identity = _identity(root.path)
        try:
            watch = self._observer.schedule(
                self._handler, root.path, recursive=True, event_filter=_EVENTS
            )
        except OSError as exc:  # typically the inotify watch limit (fs.inotify.max_user_watches)
            self._watch_refused(root, f"cannot watch {root.path} ({exc})")
            return None
        if self._observer.is_alive():  # else the watches are made (and checked) at start
            self._check_complete(root)
        return watch

    def _check_complete(self, root: _Root) -> None:
        # watchdog skips the sub-directories the system refuses to watch without a word.
        if watch_limits.watch_limit_reached(root.path):
            self._watch_refused(root, f"{root.path} is watched only in part (inotify limit)")

    def _watch_refused(self, root: _Root, what: str) -> None:
        """The root is (partly) unwatched: rescan it periodically, and tell the user why."""
        if root.unwatchable_since is None:
            root.unwatchable_since = root.last_rescan = time.monotonic()
        advice = watch_limits.watch_limit_advice(
            root.path, watch_limits.max_user_watches(), root.rescan_period()
        )
        log.warning(
            "%s; rescanning it every %.0f s instead. %s", what, root.rescan_period(), advice
        )
        if self._on_warning is not None:
            self._on_warning(advice)

    def _unwatch(self, root: _Root) -> None:
        if root.watch is not None:
            try:
                self._observer.unschedule(root.watch)
            except (KeyError, OSError):  # its emitter already died with the directory
                log.debug("watch of %s was already gone", root.path)
            root.watch = None
