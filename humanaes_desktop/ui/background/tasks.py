"""The one way the GUI runs work in the background (Picard's `to_main` / `run_task` pattern).

- `to_main(fn, *args)` calls `fn(*args)` on the GUI thread, from any thread. It goes through a
  relay that lives in the application object's thread, so it reaches the GUI thread wherever
  the caller, or the runner that calls it, was made.
- `TaskRunner` is a thread pool: `run_task(fn, on_done, on_error)` runs `fn()` in it and hands
  the result or the exception to `on_done` / `on_error` through `to_main`. `max_threads=1` makes
  a serial executor for work that must not overlap, such as database writes. Every runner is
  known to `shutdown_all_runners()`, which the app calls at exit so no pool is left running.
- `LatestRequest` stamps requests so that only the answer to the newest one counts (a newer
  query, a newer preview, a scroll that makes queued thumbnails pointless).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _MainThreadRelay(QObject):
    """Lives in the application's thread; its queued signal runs calls there."""

    call = Signal(object, object, object)  # fn, args, context (QObject or None)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, fn: Callable[..., Any], args: tuple, context: QObject | None) -> None:
        if context is not None and not shiboken6.isValid(context):
            # The widget that asked was closed while the answer was on its way.
            log.debug("dropping %r: its receiver was deleted", fn)
            return
        fn(*args)


_relay: _MainThreadRelay | None = None
_relay_app: QCoreApplication | None = None
_relay_lock = threading.Lock()


def _main_relay() -> _MainThreadRelay:
    global _relay, _relay_app
    with _relay_lock:
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("results for the GUI thread need a QApplication")
        if _relay is None or _relay_app is not app:
            relay = _MainThreadRelay()
            relay.moveToThread(app.thread())  # made on a pool thread, it still serves the GUI
            _relay, _relay_app = relay, app
        return _relay


def to_main(fn: Callable[..., Any], *args: Any, context: QObject | None = None) -> None:
    """Call `fn(*args)` on the GUI thread, after the current event; safe from any thread.

    With `context`, the call is dropped if that QObject has been deleted by then.
    """
    _main_relay().call.emit(fn, args, context)


def _log_failure(exc: BaseException) -> None:
    log.error("background task failed", exc_info=exc)


class _Task(QRunnable):
    def __init__(
        self,
        fn: Callable[[], Any],
        on_done: DoneCallback | None,
        on_error: ErrorCallback | None,
        context: QObject | None,
        on_finally: Callable[[], None],
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._on_done, self._on_error = fn, on_done, on_error
        self._context, self._on_finally = context, on_finally

    def run(self) -> None:
        # What the task holds (the context widget, callbacks whose closures reach widgets) goes
        # back to the GUI thread with the outcome and is let go there: dropping the last
        # reference to a QObject on a pool thread would delete it there, which crashes Qt.
        try:
            outcome = (self._on_done, self._fn())
        except Exception as exc:  # delivered to on_error (or logged) on the GUI thread
            outcome = (self._on_error or _log_failure, exc)
        payload = [*outcome, self._context, self._fn, self._on_done, self._on_error]
        self._fn = self._on_done = self._on_error = self._context = None
        del outcome
        try:
            to_main(_deliver, payload)
        finally:
            del payload  # from here on only the GUI thread holds the task's references
            self._on_finally()


def _deliver(payload: list) -> None:
    """Runs on the GUI thread: release the task's references here, then hand over the outcome."""
    callback, value, context = payload[0], payload[1], payload[2]
    payload.clear()
    if callback is None:
        return
    if context is not None and not shiboken6.isValid(context):
        log.debug("dropping %r: its receiver was deleted", callback)
        return
    callback(value)


_runners: weakref.WeakSet[TaskRunner] = weakref.WeakSet()


class TaskRunner:
    """A thread pool whose task results come back on the GUI thread."""

    def __init__(
        self, max_threads: int = 2, name: str = "tasks", cancel: threading.Event | None = None
    ) -> None:
        """`cancel`, when given, is set at shutdown so long work can stop early."""
        self.name = name
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(max(1, max_threads))
        self._pool.setObjectName(name)
        self._cancel = cancel
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        _runners.add(self)

    def run_task(
        self,
        fn: Callable[[], Any],
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        priority: int = 0,
        context: QObject | None = None,
    ) -> None:
        """Run `fn()` in the pool; call `on_done(result)` or `on_error(exc)` on the GUI thread.

        Without `on_error`, an exception is logged with its traceback (never dropped silently).
        With `context`, nothing is delivered once that QObject has been deleted.
        """
        if self._closed:
            raise RuntimeError(f"task runner {self.name!r} is shut down")
        with self._lock:
            self._pending += 1
        self._pool.start(_Task(fn, on_done, on_error, context, self._task_finished), priority)

    def _task_finished(self) -> None:
        with self._lock:  # called from pool threads
            self._pending -= 1

    @property
    def pending(self) -> int:
        """Tasks started or queued whose function has not returned yet."""
        return self._pending

    @property
    def closed(self) -> bool:
        """True once `shutdown` was called."""
        return self._closed

    def wait_idle(self, timeout_ms: int = -1) -> bool:
        """Block until every queued task has run (results may still be in the event queue)."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Refuse new tasks, ask running ones to stop, wait; True when all finished in time."""
        self._closed = True
        if self._cancel is not None:
            self._cancel.set()
        return self._pool.waitForDone(timeout_ms)


def shutdown_all_runners(timeout_ms: int = 10_000) -> bool:
    """Shut down every runner still alive (at app exit); True when all finished in time."""
    finished = True
    for runner in list(_runners):
        if not runner.shutdown(timeout_ms):
            log.error("background tasks of %r still running after %d ms", runner.name, timeout_ms)
            finished = False
    return finished


class LatestRequest:
    """Only the answer to the newest request counts: a counter stamped on every request.

    Used on the GUI thread; `is_current` may also be asked from a pool thread (one int read).
    """

    def __init__(self) -> None:
        self._latest = 0

    @property
    def current(self) -> int:
        """The stamp of the newest request."""
        return self._latest

    def new(self) -> int:
        """Start a newer request; every older stamp becomes stale. Returns the new stamp."""
        self._latest += 1
        return self._latest

    def cancel(self) -> None:
        """Make every request made so far stale."""
        self._latest += 1

    def is_current(self, stamp: int) -> bool:
        """True while `stamp` belongs to the newest request."""
        return stamp == self._latest

    def only_latest(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """Start a newer request; the returned callback passes its answer on only while it is
        still the newest."""
        stamp = self.new()

        def deliver(answer: Any) -> None:
            if self.is_current(stamp):
                callback(answer)

        return deliver
