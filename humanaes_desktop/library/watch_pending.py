"""Coalescing file-system events until files are complete (no threads, no I/O but `stat`).

The watchdog thread records events here; the watcher's applier thread takes ready batches out.
A created or modified file is ready once its writer closed it, or once its size has not changed
for `settle_s` (writers that never send a close event, network file systems). Moves and
deletions are ready at once.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Writing:
    last_event: float
    size: int | None = None  # size at the last event (or settle check)
    closed: bool = False


@dataclass
class Batch:
    """Changes ready to be applied together."""

    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    new_dirs: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.created or self.deleted or self.moved or self.new_dirs)


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


class PendingChanges:
    """Thread-safe accumulation of events; `take_ready()` hands out what can be applied."""

    def __init__(self, settle_s: float, clock=time.monotonic) -> None:
        self.settle_s = settle_s
        self._clock = clock
        self._lock = threading.Lock()
        self._writing: dict[str, _Writing] = {}
        self._deleted: set[str] = set()
        self._moved: list[tuple[str, str]] = []
        self._new_dirs: set[str] = set()

    def written(self, path: str) -> None:
        """A file was created or written to: wait until it is complete."""
        with self._lock:
            self._deleted.discard(path)
            entry = self._writing.setdefault(path, _Writing(self._clock()))
            entry.last_event, entry.closed = self._clock(), False
        entry.size = _size(path)  # outside the lock: a stat may be slow on a busy disk

    def closed(self, path: str) -> None:
        """The writer closed the file: it is complete."""
        with self._lock:
            self._deleted.discard(path)
            self._writing.setdefault(path, _Writing(self._clock())).closed = True

    def deleted(self, path: str) -> None:
        with self._lock:
            self._writing.pop(path, None)
            self._new_dirs.discard(path)
            self._deleted.add(path)

    def moved(self, src: str, dst: str) -> None:
        with self._lock:
            entry = self._writing.pop(src, None)
            if entry is not None:  # still being written under its old name: keep waiting
                self._writing[dst] = entry
            self._deleted.discard(dst)
            self._moved.append((src, dst))

    def directory_created(self, path: str) -> None:
        """A directory appeared (possibly moved in, full of files no event will announce)."""
        with self._lock:
            self._new_dirs.add(path)

    def has_pending(self) -> bool:
        with self._lock:
            return bool(self._writing or self._deleted or self._moved or self._new_dirs)

    def take_ready(self) -> Batch:
        """Remove and return everything that is ready now."""
        now = self._clock()
        batch = Batch()
        with self._lock:
            for path, entry in list(self._writing.items()):
                if self._is_complete(path, entry, now):
                    batch.created.append(path)
                    del self._writing[path]
            batch.deleted, self._deleted = sorted(self._deleted), set()
            batch.moved, self._moved = self._moved, []
            batch.new_dirs, self._new_dirs = sorted(self._new_dirs), set()
        return batch

    def _is_complete(self, path: str, entry: _Writing, now: float) -> bool:
        if entry.closed:
            return True
        if now - entry.last_event < self.settle_s:
            return False
        size = _size(path)
        if size is None or size == entry.size:
            return True  # quiet and unchanged (or gone: applying it finds nothing)
        # It grew without telling us (no events, e.g. a network mount): wait another period.
        entry.size, entry.last_event = size, now
        return False
