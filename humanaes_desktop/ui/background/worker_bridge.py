"""Turns the scoring worker's plain-data events into queued Qt signals on the GUI thread.

The worker calls `bridge.listener(event)` from its own thread; the listener only emits a signal,
never touches a widget, and returns at once so the worker is never slowed by the GUI.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal

from humanaes_desktop.pipeline.events import (
    AssessmentStored,
    ImageFailed,
    ProgressChanged,
    WorkerEvent,
)

log = logging.getLogger(__name__)

_LIBRARY_CHANGED = object()  # sentinel carried through the same queued signal


class WorkerBridge(QObject):
    """Create on the GUI thread; pass `listener` to the ScoringWorker."""

    progress_changed = Signal(object)  # ProgressChanged
    assessment_stored = Signal(object)  # AssessmentStored
    image_failed = Signal(object)  # ImageFailed
    library_changed = Signal()  # the watcher added, changed or removed files
    _event_arrived = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Queued explicitly: the worker's thread is a plain Python thread, and the slot must run
        # on the thread this bridge lives on (the GUI thread).
        self._event_arrived.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self.last_progress: ProgressChanged | None = None

    def listener(self, event: WorkerEvent) -> None:
        """The worker's event callback; safe to call from any thread."""
        self._event_arrived.emit(event)

    def notify_library_changed(self, *_args: object) -> None:
        """The folder watcher's callback; safe to call from any thread."""
        self._event_arrived.emit(_LIBRARY_CHANGED)

    def _dispatch(self, event: WorkerEvent | object) -> None:
        if event is _LIBRARY_CHANGED:
            self.library_changed.emit()
        elif isinstance(event, ProgressChanged):
            self.last_progress = event
            self.progress_changed.emit(event)
        elif isinstance(event, AssessmentStored):
            self.assessment_stored.emit(event)
        elif isinstance(event, ImageFailed):
            self.image_failed.emit(event)
        else:
            log.warning("ignoring unknown worker event %r", event)
