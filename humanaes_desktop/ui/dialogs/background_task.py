"""A dialog whose long work (download, copying, checking a model) runs on its own TaskRunner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from humanaes_desktop.ui.background.tasks import TaskRunner, to_main


class BackgroundTaskDialog(QDialog):
    """Owns the work's one-thread runner and its cancel flag; subclasses build widgets and work.

    `_start_work` runs a function off the GUI thread and hands its result or exception to the
    GUI thread; `_on_gui_thread` wraps a slot so the work can report progress from its thread.
    Nothing arrives once the dialog is deleted, and the app's shutdown sets the cancel flag and
    waits for the work. Subclasses whose work can be cancelled set `cancel_button`, and
    `stop_label` (where "Stopping…" appears), before the dialog can be rejected.
    """

    stopping_text = "Stopping…"
    cancel_button: QPushButton
    stop_label: QLabel

    def __init__(self, parent: QWidget | None = None, *, work_name: str = "dialog-work"):
        super().__init__(parent)
        self._cancel = threading.Event()
        self._runner = TaskRunner(max_threads=1, name=work_name, cancel=self._cancel)
        self._running = False

    def is_running(self) -> bool:
        """True from the start of the background work until its outcome has arrived."""
        return self._running

    def _start_work(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._cancel.clear()
        self._running = True
        self._runner.run_task(
            work, self._ended_then(on_done), self._ended_then(on_error), context=self
        )

    def _ended_then(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def deliver(value: Any) -> None:
            self._running = False
            callback(value)

        return deliver

    def _on_gui_thread(self, slot: Callable[..., None]) -> Callable[..., None]:
        """`slot`, callable from the work's thread: each call runs on the GUI thread."""
        return lambda *args: to_main(slot, *args, context=self)

    def reject(self) -> None:
        """While working: ask the work to stop (the dialog stays to show how it ended); else close."""
        if self.is_running():
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.stop_label.setText(self.stopping_text)
            return
        super().reject()
