"""The write-behind queue: one thread writes sidecars, a moment after the last change to each.

Culling is bursty (P, 3, X, 4 within a second on one photo), darktable ignores sidecars written
within 2 s of its own and PhotoPrism compares mtimes in whole seconds, so a photo's sidecar is
written once its ratings have been still for `debounce_s`. Nothing is lost by waiting: the
database already says what the sidecar owes (`xmp_sync.pending`), so a crash before the write is
repaired by `start()` at the next launch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.schema import XmpSyncOrm
from humanaes_desktop.library.xmp.names import Listings
from humanaes_desktop.library.xmp.options import load_settings
from humanaes_desktop.library.xmp.records import SyncResult, XmpSettings
from humanaes_desktop.library.xmp.sync import sync_image

log = logging.getLogger(__name__)

DEBOUNCE_S = 1.5
Progress = Callable[[int, int], None]


def pending_ids(db: Database) -> list[int]:
    """Photos whose sidecars owe an update."""
    with db.read() as session:
        return list(session.scalars(select(XmpSyncOrm.image_id).where(XmpSyncOrm.pending)))


def write_many(
    db: Database,
    image_ids: Sequence[int],
    settings: XmpSettings,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    on_result: Callable[[SyncResult], None] | None = None,
    write: bool = True,
) -> int:
    """Sync many photos now (bulk: after scoring, "Write metadata now", `xmp sync`).

    Reports `progress(done, total)`, stops early when `cancel` is set (what is written stays
    written; the rest stays pending) and returns how many photos were synced.
    """
    total, done = len(image_ids), 0
    listings = Listings()
    if progress is not None:
        progress(0, total)
    for image_id in image_ids:
        if cancel is not None and cancel.is_set():
            break
        try:
            result = sync_image(db, image_id, settings, write=write, listings=listings)
        except Exception:  # one photo must not stop the others; it stays pending
            log.exception("syncing the sidecar of photo %d failed", image_id)
            result = None
        if result is not None and on_result is not None:
            on_result(result)
        done += 1
        if progress is not None:
            progress(done, total)
    return done


class SidecarWriter:
    """One writer thread, debounced per photo; `notify()` after every committed change."""

    def __init__(
        self,
        db: Database,
        settings: Callable[[], XmpSettings] | None = None,
        *,
        debounce_s: float = DEBOUNCE_S,
        on_result: Callable[[SyncResult], None] | None = None,
    ) -> None:
        self._db = db
        self._settings = settings or (lambda: load_settings(db))
        self.debounce_s = debounce_s
        self._on_result = on_result
        self._due: dict[int, float] = {}
        self._busy = False
        self._stopping = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="xmp-writer", daemon=True)

    def start(self) -> None:
        """Start the thread; photos left pending by a crash are written first."""
        owed = pending_ids(self._db)
        if owed:
            log.info("writing %d sidecars left pending by the last session", len(owed))
        self._schedule(owed, delay=0.0)
        self._thread.start()

    def notify(self, image_ids: Iterable[int]) -> None:
        """These photos changed: write their sidecars once they have been still a moment."""
        self._schedule(image_ids, delay=self.debounce_s)

    def _schedule(self, image_ids: Iterable[int], delay: float) -> None:
        due = time.monotonic() + delay
        with self._condition:
            for image_id in image_ids:
                self._due[image_id] = due
            self._condition.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything queued now and wait for it; False if `timeout` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            now = time.monotonic()
            self._due = {image_id: now for image_id in self._due}
            self._condition.notify_all()
            while self._due or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                if not self._thread.is_alive():
                    return not self._due  # never started or already stopped: nothing will come
                self._condition.wait(remaining)
        return True

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Write what is queued, then end the thread. False if writes were still running."""
        flushed = self.flush(timeout)
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return flushed and not self._thread.is_alive()

    def _take_ready(self) -> list[int] | None:
        with self._condition:
            while True:
                now = time.monotonic()
                ready = [i for i, due in self._due.items() if due <= now]
                if ready:
                    for image_id in ready:
                        del self._due[image_id]
                    self._busy = True
                    return ready
                if self._stopping:
                    return None
                wait = min(self._due.values()) - now if self._due else None
                self._condition.wait(wait)

    def _run(self) -> None:
        while (ready := self._take_ready()) is not None:
            try:
                settings = self._settings()
                if settings.enabled:
                    write_many(self._db, ready, settings, on_result=self._on_result)
            except Exception:  # the queue must outlive one bad batch; the rows stay pending
                log.exception("writing sidecars failed")
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()
