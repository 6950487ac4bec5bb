"""The scoring status bar: queue size, progress, speed, ETA, device and model, pause/resume.

It shows the worker's own words when it waits (for example "waiting for model — open
Settings → Model") and marks a synthetic model in capitals, because its scores mean nothing.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from humanaes_desktop.engine.profiles import ProfileMode
from humanaes_desktop.pipeline.events import ProgressChanged, WorkerState
from humanaes_desktop.wording import (
    NO_MODEL_LABEL,
    NO_MODEL_STATUS,
    WAITING_FOR_MODEL_STATUS,
    format_eta,
)


def format_rate(images_per_s: float | None) -> str:
    """Speed in images per second, or per minute when slow (CPU inference)."""
    if not images_per_s:
        return ""
    if images_per_s < 0.5:
        return f"{images_per_s * 60:.1f} images/min"
    return f"{images_per_s:.1f} images/s"


class ScoringStatusBar(QStatusBar):
    """Status bar fed by WorkerBridge.progress_changed."""

    pause_toggled = Signal(bool)  # True: the user asked to pause

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state_label = QLabel(objectName="workerState")
        self.queue_label = QLabel(objectName="queueSize")
        self.progress = QProgressBar(objectName="scoringProgress")
        self.progress.setMaximumWidth(180)
        self.progress.setMinimumWidth(150)  # squeezed, "12 / 40 scored" turned unreadable
        self.progress.setTextVisible(True)
        self.rate_label = QLabel(objectName="rate")
        self.eta_label = QLabel(objectName="eta")
        self.model_label = QLabel(objectName="modelLabel")
        self.pause_button = QPushButton("Pause", objectName="pauseButton", checkable=True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.addWidget(self.state_label, 1)
        for widget in (
            self.queue_label, self.progress, self.rate_label, self.eta_label,
            self.model_label, self.pause_button,
        ):  # fmt: skip
            self.addPermanentWidget(widget)
        self.show_no_model()

    def show_no_model(self, message: str = NO_MODEL_STATUS) -> None:
        """Say plainly that nothing is scored until a model is set up."""
        self.state_label.setText(message)
        self.model_label.setText(NO_MODEL_LABEL)
        self.progress.setVisible(False)
        self.pause_button.setEnabled(False)

    def show_work_progress(self, what: str, done: int, total: int, note: str = "") -> None:
        """One line for long background work, e.g. "Reading new photos: 1,200 of 50,000
        (2%), ETA 3 min"; the line goes when the work is done."""
        starts = self.__dict__.setdefault("_work_started", {})
        if done == 0 or what not in starts:
            starts[what] = time.monotonic()
        if done >= total:
            starts.pop(what, None)
            if self.currentMessage().startswith(what):
                self.clearMessage()
            return
        elapsed = time.monotonic() - starts[what]
        eta = format_eta(elapsed * (total - done) / done if done else None)
        self.showMessage(
            f"{what}: {done:,} of {total:,} ({100 * done // total}%)"
            + (f", {eta}" if eta else "")
            + (f" — {note}" if note else "")
        )

    def show_queue(self, queued: int) -> None:
        """Show the number of photos waiting (from the library, before the worker reports)."""
        self.queue_label.setText(f"{queued} queued" if queued else "queue empty")

    def update_progress(self, event: ProgressChanged) -> None:
        """Reflect one ProgressChanged event."""
        self.state_label.setText(_state_text(event))
        self.state_label.setToolTip(event.message or event.current_path or "")
        self._show_counts(event)
        self.rate_label.setText(format_rate(event.images_per_s))
        self.model_label.setText(_model_text(event))
        paused = event.state == WorkerState.PAUSED
        self.pause_button.setEnabled(event.state not in (WorkerState.STOPPED,))
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.blockSignals(False)

    def _show_counts(self, event: ProgressChanged) -> None:
        """Queue, progress bar and ETA; with quick first, for the pass under way: the quick
        one (and how many full scores follow), then the full one."""
        if event.in_quick_pass:
            done, left, unit = event.first_scores_done, event.quick_remaining, "quick"
            self.queue_label.setText(f"{left} quick, then {event.remaining} full")
            eta = format_eta(event.quick_eta_s)
            self.eta_label.setText(f"{eta} to quick scores" if eta else "")
        else:
            upgrading = event.profile_mode is ProfileMode.QUICK_FIRST and event.quick_done > 0
            done, left = event.done, event.remaining
            unit = "full" if upgrading else "scored"
            self.show_queue(left)
            self.eta_label.setText(format_eta(event.eta_s) if left else "")
        total = done + left
        self.progress.setVisible(total > 0)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total} {unit}")

    def _on_pause_toggled(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self.pause_toggled.emit(checked)


def _state_text(event: ProgressChanged) -> str:
    if event.state == WorkerState.WAITING_FOR_MODEL:
        # The worker's own message names CLI commands; the GUI says where to click.
        return WAITING_FOR_MODEL_STATUS
    if event.message:
        return event.message
    if event.state == WorkerState.SCORING and event.current_path:
        name = os.path.basename(event.current_path)  # the full path is in the tooltip
        return f"Quick score of {name}…" if event.current_quick else f"Scoring {name}…"
    return event.state.value.capitalize()


def _model_text(event: ProgressChanged) -> str:
    label = event.model_label or NO_MODEL_LABEL
    if event.synthetic and "SYNTHETIC" not in label:
        label += " (SYNTHETIC)"
    return f"{label} on {event.device}" if event.device else label
