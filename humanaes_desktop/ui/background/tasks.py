"""Background tasks with results delivered on the GUI thread (Picard's `run_task` pattern).

`run_task(fn, on_done, on_error)` runs `fn()` on a QThreadPool; `on_done(result)` or
`on_error(exception)` is then called on the GUI thread through a queued signal. A single-thread
pool (`TaskRunner(max_threads=1)`) gives a serial executor for work that must not overlap,
such as database writes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives on the GUI thread; its queued signal carries results back to it."""

    finished = Signal(object, object, object)  # callback, value, is_error

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def _deliver(self, callback: Callable[[Any], None] | None, value: Any, is_error: bool) -> None:
        if callback is not None:
            callback(value)
        elif is_error:
            log.error("background task failed", exc_info=value)


class _Task(QRunnable):
    def __init__(
        self,
        relay: _Relay,
        fn: Callable[[], Any],
        on_done: DoneCallback | None,
        on_error: ErrorCallback | None,
        on_finally: Callable[[], None],
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._relay, self._fn = relay, fn
        self._on_done, self._on_error, self._on_finally = on_done, on_error, on_finally

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to on_error (or logged) on the GUI thread
            self._relay.finished.emit(self._on_error, exc, True)
        else:
            self._relay.finished.emit(self._on_done, result, False)
        finally:
            self._on_finally()


class TaskRunner:
    """A thread pool whose task results come back on the thread that created the runner."""

    def __init__(self, max_threads: int = 2, name: str = "tasks") -> None:
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(max(1, max_threads))
        self._pool.setObjectName(name)
        self._relay = _Relay()
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False

    def run_task(
        self,
        fn: Callable[[], Any],
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        priority: int = 0,
    ) -> None:
        """Run `fn()` in the pool; call `on_done(result)` or `on_error(exc)` on the GUI thread.

        Without `on_error`, an exception is logged with its traceback (never dropped silently).
        """
        if self._closed:
            raise RuntimeError("task runner is shut down")
        with self._lock:
            self._pending += 1
        task = _Task(self._relay, fn, on_done, on_error, self._task_finished)
        self._pool.start(task, priority)

    def _task_finished(self) -> None:
        with self._lock:  # called from pool threads
            self._pending -= 1

    @property
    def pending(self) -> int:
        """Tasks started or queued whose function has not returned yet."""
        return self._pending

    def wait_idle(self, timeout_ms: int = -1) -> bool:
        """Block until every queued task has run (results may still be in the event queue)."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Refuse new tasks and wait for running ones; True when all finished in time."""
        self._closed = True
        return self._pool.waitForDone(timeout_ms)


_default_runner: TaskRunner | None = None


def default_runner() -> TaskRunner:
    """The shared pool for short read tasks (created on first use, on the GUI thread)."""
    global _default_runner
    if _default_runner is None:
        _default_runner = TaskRunner(max_threads=2, name="reads")
    return _default_runner


def run_task(
    fn: Callable[[], Any],
    on_done: DoneCallback | None = None,
    on_error: ErrorCallback | None = None,
) -> None:
    """Run `fn()` on the shared pool; deliver its result or exception on the GUI thread."""
    default_runner().run_task(fn, on_done, on_error)
