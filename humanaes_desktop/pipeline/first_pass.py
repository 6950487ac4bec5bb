"""The first pass worker: sharpness, exposure, faces, eyes and hashes for every photo as soon as
the library records it, then the folder's bursts regrouped.

A dispatcher thread takes photos that lack current signals from the library, newest first, and
hands them to a small pool (one OpenCV thread each, its own face backend; on Linux the pool
threads run at a lower scheduling priority) so that the scoring worker is never starved: the
first pass costs ~0.1 s of one core per photo, the model seconds to minutes. Results are stored
in batches; regrouping a folder is throttled while a large import streams in and always runs
when the queue empties.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from humanaes_desktop.engine.culling.grouping import GroupingSettings
from humanaes_desktop.engine.images.errors import ImageLoadError
from humanaes_desktop.library.signals_store import FirstPassResult, FirstPassTask

if TYPE_CHECKING:  # OpenCV loads on the first pass's own threads, not at the app's start
    from humanaes_desktop.engine.culling.faces import FaceBackend

log = logging.getLogger(__name__)

BATCH = 16
RETRY_TRANSIENT_S = 60.0  # a locked or still-copying file is tried again after this long
REGROUP_EVERY_S = 2.0
NICE = 10  # scheduling priority increment of the pool threads (Linux)


def default_threads() -> int:
    """One thread on small machines; a quarter of the cores on bigger ones (at most 4)."""
    return max(1, min(4, (os.cpu_count() or 2) // 4))


def haar_backend() -> FaceBackend:
    """The default face backend: OpenCV's bundled Haar cascades."""
    from humanaes_desktop.engine.culling.faces import HaarFaceBackend

    return HaarFaceBackend()


def _lower_priority() -> None:
    import cv2

    cv2.setNumThreads(1)  # parallelism comes from the pool, not from inside OpenCV
    if sys.platform.startswith("linux"):
        try:  # on Linux a thread id names one thread here
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        except OSError as exc:
            log.info("first pass threads keep normal priority: %s", exc)


class FirstPassWorker:
    """Keeps every photo's first-pass signals and its folder's groups current."""

    def __init__(
        self,
        library,
        *,
        threads: int | None = None,
        settings: GroupingSettings | None = None,
        on_change: Callable[[set[int]], None] | None = None,  # folders regrouped
        backend_factory: Callable[[], FaceBackend] = haar_backend,
        idle_poll_s: float = 5.0,
    ) -> None:
        self._library = library
        self._threads = threads or default_threads()
        self.settings = settings or GroupingSettings()
        self._on_change = on_change
        self._backend_factory = backend_factory
        self._backend_key: str | None = None  # made lazily: loading cascades takes a moment
        self._idle_poll_s = idle_poll_s
        self._local = threading.local()
        self._cond = threading.Condition()
        self._wake = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._retry_at: dict[int, float] = {}  # image id -> when a transient failure may retry
        self.done = 0  # photos passed since start (read by status displays)

    @property
    def backend_key(self) -> str:
        """The face backend's key, stored with every signals row."""
        if self._backend_key is None:
            self._backend_key = self._backend_factory().key
        return self._backend_key

    # -- control (any thread) -------------------------------------------------------------
    def start(self) -> None:
        """Start the dispatcher thread."""
        self._thread = threading.Thread(target=self._run, name="first-pass", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for new photos now (the library changed)."""
        with self._cond:
            self._wake = True
            self._cond.notify_all()

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Finish the photos in hand and stop; True if the thread ended within `timeout`."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # -- work -----------------------------------------------------------------------------
    def run_until_idle(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Pass every waiting photo (on a pool the calling thread waits for) and regroup;
        returns how many photos this worker has passed. For the CLI and after stop()."""
        total = self._library.count_first_pass_waiting(self.backend_key)
        passed_ids: set[int] = set()  # each photo once per run, even if its result was dropped
        with self._pool() as pool:
            touched: dict[int, float | None] = {}
            while True:
                passed = self._one_batch(pool, passed_ids)
                if passed is None:
                    break
                _merge(touched, passed)
                if progress is not None:
                    progress(self.done, total)
        self._regroup(touched)
        return self.done

    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(
            self._threads, thread_name_prefix="first-pass", initializer=_lower_priority
        )

    def _run(self) -> None:
        touched: dict[int, float | None] = {}
        last_regroup = time.monotonic()
        with self._pool() as pool:
            while not self._stopping():
                try:
                    passed = self._one_batch(pool, interruptible=True)
                except Exception:  # the worker must outlive one bad batch; it is retried
                    log.exception("first pass batch failed")
                    passed = None
                if passed:
                    _merge(touched, passed)
                due = time.monotonic() - last_regroup >= REGROUP_EVERY_S
                if touched and (passed is None or due):
                    self._guarded_regroup(touched)
                    touched, last_regroup = {}, time.monotonic()
                if passed is None:
                    self._idle()
            self._guarded_regroup(touched)

    def _stopping(self) -> bool:
        with self._cond:
            return self._stop

    def _idle(self) -> None:
        with self._cond:
            if not self._wake and not self._stop:
                self._cond.wait(self._idle_poll_s)
            self._wake = False

    def _one_batch(
        self,
        pool: ThreadPoolExecutor,
        passed_ids: set[int] | None = None,
        *,
        interruptible: bool = False,
    ) -> dict[int, float | None] | None:
        """Pass one batch; the folders it touched (with their earliest capture time), or None
        when nothing waits. `interruptible`: after stop() the photos not yet begun are left
        for the next start, so closing the app waits for one photo per thread, not a batch."""
        now = time.monotonic()
        self._retry_at = {i: t for i, t in self._retry_at.items() if t > now}
        skip = set(self._retry_at) | (passed_ids or set())
        tasks = self._library.first_pass_tasks(self.backend_key, BATCH, skip=skip)
        if not tasks:
            return None
        if passed_ids is not None:
            passed_ids.update(t.image_id for t in tasks)
        run = self._pass_unless_stopping if interruptible else self._pass_one
        results = [r for r in pool.map(run, tasks) if r is not None]
        self.done += len(results)
        return self._library.store_first_pass(results, self.backend_key)

    def _pass_unless_stopping(self, task: FirstPassTask) -> FirstPassResult | None:
        return None if self._stopping() else self._pass_one(task)

    def _pass_one(self, task: FirstPassTask) -> FirstPassResult | None:
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = self._local.backend = self._backend_factory()
        from humanaes_desktop.engine.culling.signals import first_pass

        try:
            return FirstPassResult(task, first_pass(task.path, backend))
        except ImageLoadError as exc:
            if not exc.permanent:
                log.info("first pass of %s postponed: %s", task.path, exc)
                self._retry_at[task.image_id] = time.monotonic() + RETRY_TRANSIENT_S
                return None
            return FirstPassResult(task, None, str(exc))
        except Exception as exc:  # a bug or an odd file must not stall the queue: record it
            log.exception("first pass of %s failed", task.path)
            return FirstPassResult(task, None, f"first pass failed: {exc}")

    def _guarded_regroup(self, folders: dict[int, float | None]) -> None:
        try:
            self._regroup(folders)
        except Exception:  # logged; the folder regroups with its next photos or the next start
            log.exception("regrouping folders %s failed", sorted(folders))

    def _regroup(self, folders: dict[int, float | None]) -> None:
        if not folders:
            return
        for folder_id, since in sorted(folders.items()):
            self._library.regroup_folder(folder_id, self.settings, since)
        if self._on_change is not None:
            self._on_change(set(folders))


def _merge(into: dict[int, float | None], more: dict[int, float | None]) -> None:
    """Per folder, the earliest capture time of both (None, "from the start", wins)."""
    for folder, when in more.items():
        if folder not in into:
            into[folder] = when
        elif (known := into[folder]) is not None:
            into[folder] = None if when is None else min(known, when)
