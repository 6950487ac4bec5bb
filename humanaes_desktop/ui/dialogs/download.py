"""Download the pinned model with a progress dialog; cancel keeps the partial files to resume."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import (
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.engine.store.download import (
    DownloadCancelled,
    DownloadProgress,
    download_model,
)
from humanaes_desktop.errors import UserError
from humanaes_desktop.ui.dialogs.background_task import BackgroundTaskDialog

log = logging.getLogger(__name__)


def human_bytes(count: int | None) -> str:
    """1_876_417_886 → '1.9 GB'; None → '?'."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "kB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


class DownloadDialog(BackgroundTaskDialog):
    """Runs `download_model` in the background; `installed_path` is set on success."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        variant: str = "1b",
        dest: Path | str | None = None,
        source: object | None = None,
    ):
        super().__init__(parent, work_name="model-download")
        self.setWindowTitle("Downloading HumanAesExpert")
        self.setMinimumWidth(480)
        self._variant, self._dest, self._source = variant, dest, source
        self.installed_path: Path | None = None
        self.error: UserError | Exception | None = None
        layout = QVBoxLayout(self)
        self.status_label = QLabel("Preparing the download…")
        self.status_label.setWordWrap(True)
        self.stop_label = self.status_label
        layout.addWidget(self.status_label)
        self.file_label = QLabel("")
        layout.addWidget(self.file_label)
        self.file_bar = QProgressBar()
        self.file_bar.setRange(0, 1000)  # per mille: 1.9 GB does not fit an int progress range
        layout.addWidget(self.file_bar)
        self.overall_label = QLabel("")
        layout.addWidget(self.overall_label)
        self.overall_bar = QProgressBar()
        layout.addWidget(self.overall_bar)
        self._progress_widgets = (
            self.file_label,
            self.file_bar,
            self.overall_label,
            self.overall_bar,
        )
        self._show_progress(False)  # until the first bytes arrive: an offline error needs no bars
        self.buttons = QDialogButtonBox()
        self.retry_button = self.buttons.addButton("Resume", QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(self.start)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        """Start (or resume) the download in the background."""
        if self.is_running():
            return
        self.error = None
        self.retry_button.setVisible(False)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self._say(
            "Downloading the pinned HumanAesExpert-1B release (about 1.9 GB). Every file is "
            "checked against its published SHA-256 before it is installed."
        )
        progress = self._on_gui_thread(self._on_download_progressed)
        self._start_work(
            lambda: download_model(
                self._variant,
                self._dest,
                progress=progress,
                cancel=self._cancel,
                source=self._source,
            ),
            self._on_download_finished,
            self._on_download_failed,  # every failure reaches the dialog
        )

    def _say(self, text: str) -> None:
        """Show `text` and grow (or shrink) the dialog to it: long errors must not be clipped."""
        self.status_label.setText(text)
        self.layout().activate()
        width = max(self.width(), self.minimumWidth())
        self.resize(width, self.layout().totalHeightForWidth(width))

    def _show_progress(self, visible: bool) -> None:
        for widget in self._progress_widgets:
            widget.setVisible(visible)

    def _on_download_progressed(self, progress: DownloadProgress) -> None:
        if not self.file_bar.isVisible():
            self._show_progress(True)
            self._say(self.status_label.text())
        total = progress.file_total
        self.file_label.setText(
            f"{progress.file}: {human_bytes(progress.file_done)} of {human_bytes(total)}"
        )
        self.file_bar.setValue(int(1000 * progress.file_done / total) if total else 0)
        self.overall_bar.setRange(0, max(progress.files_total, 1))
        self.overall_bar.setValue(progress.files_done)
        self.overall_label.setText(f"File {progress.files_done + 1} of {progress.files_total}")

    def _on_download_finished(self, path: Path | str) -> None:
        self.installed_path = Path(path)
        self.overall_bar.setValue(self.overall_bar.maximum())
        self.file_bar.setValue(1000)
        self._say(f"Installed and verified in {path}.")
        self.accept()

    def _on_download_failed(self, exc: Exception) -> None:
        if not isinstance(exc, UserError):  # UserErrors carry their own words
            log.error("model download failed", exc_info=exc)
        self.error = exc
        if isinstance(exc, DownloadCancelled):
            text = "Download paused. The files so far are kept; Resume continues where it stopped."
        elif isinstance(exc, UserError):
            text = str(exc)
            text = text[:1].upper() + text[1:]  # the engine's words, as a sentence
        else:
            text = f"The download failed unexpectedly: {exc}. The log file has the details."
        self._say(text)
        self.retry_button.setText("Resume" if isinstance(exc, DownloadCancelled) else "Try again")
        self.retry_button.setVisible(True)
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
