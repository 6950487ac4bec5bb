"""A dialog whose long work (download, copying) runs on one plain thread, cancelled by an Event."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget


class BackgroundTaskDialog(QDialog):
    """Owns the worker thread and the cancel flag; subclasses build the widgets and the work.

    Subclasses set `cancel_button`, and `stop_label` (where "Stopping…" appears) before the
    dialog can be rejected.
    """

    stopping_text = "Stopping…"
    cancel_button: QPushButton
    stop_label: QLabel

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def is_running(self) -> bool:
        """True while the background work runs."""
        return self._thread is not None and self._thread.is_alive()

    def _start_thread(self, target: Callable[..., None], *args: object, name: str) -> None:
        self._cancel.clear()
        self._thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._thread.start()

    def _join_worker(self) -> None:
        # The worker has emitted its last signal and is returning; wait for it so the dialog
        # (and the object it emitted on) is never destroyed while that thread still runs.
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def reject(self) -> None:
        """While working: ask the work to stop (the dialog stays to show how it ended); else close."""
        if self.is_running():
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.stop_label.setText(self.stopping_text)
            return
        super().reject()
