"""Turns the scoring worker's plain-data events into Qt signals on the GUI thread.

The worker calls `bridge.listener(event)` from its own thread; the listener only posts the event
to the GUI thread (`to_main`), never touches a widget, and returns at once so the worker is
never slowed by the GUI.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from humanaes_desktop.pipeline.events import (
    AssessmentStored,
    ImageFailed,
    ProgressChanged,
    WorkerEvent,
)
from humanaes_desktop.ui.background.tasks import to_main

log = logging.getLogger(__name__)


class WorkerBridge(QObject):
    """Pass `listener` to the ScoringWorker; the signals are emitted on the GUI thread."""

    progress_changed = Signal(object)  # ProgressChanged
    assessment_stored = Signal(object)  # AssessmentStored
    image_failed = Signal(object)  # ImageFailed
    library_changed = Signal()  # the watcher added, changed or removed files
    watch_problem = Signal(str)  # a folder cannot be watched completely (a sentence for the user)
    culling_changed = Signal()  # the first pass stored marks and regrouped bursts

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_progress: ProgressChanged | None = None

    def listener(self, event: WorkerEvent) -> None:
        """The worker's event callback; safe to call from any thread."""
        to_main(self._dispatch, event, context=self)

    def notify_library_changed(self, *_args: object) -> None:
        """The folder watcher's callback; safe to call from any thread."""
        to_main(self.library_changed.emit, context=self)

    def notify_watch_problem(self, sentence: str) -> None:
        """The folder watcher's warning callback; safe to call from any thread."""
        to_main(self.watch_problem.emit, sentence, context=self)

    def notify_culling_changed(self, *_args: object) -> None:
        """The first-pass worker's callback; safe to call from any thread."""
        to_main(self.culling_changed.emit, context=self)

    def _dispatch(self, event: WorkerEvent) -> None:
        if isinstance(event, ProgressChanged):
            self.last_progress = event
            self.progress_changed.emit(event)
        elif isinstance(event, AssessmentStored):
            self.assessment_stored.emit(event)
        elif isinstance(event, ImageFailed):
            self.image_failed.emit(event)
        else:
            log.warning("ignoring unknown worker event %r", event)
