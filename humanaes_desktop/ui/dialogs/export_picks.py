"""The "Export picks" dialog: choose a folder, copy in the background, read what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.copy_picks import ExportReport, copy_files
from humanaes_desktop.ui.dialogs.background_task import BackgroundTaskDialog

log = logging.getLogger(__name__)

Copier = Callable[..., ExportReport]


def report_text(report: ExportReport) -> str:
    """The end-of-export report: a summary line, then every skipped or failed file and why."""
    lines = [report.summary()]
    for title, entries in (("Skipped", report.skipped), ("Failed", report.failed)):
        if entries:
            lines.append(f"\n{title}:")
            lines.extend(f"  {Path(src).name} — {reason}" for src, reason in entries)
    if report.not_started:
        lines.append("\nNot copied (cancelled):")
        lines.extend(f"  {Path(src).name}" for src in report.not_started)
    return "\n".join(lines)


class ExportPicksDialog(BackgroundTaskDialog):
    """Copies `paths` (never moves them) into a folder the user chooses."""

    stopping_text = "Cancelling…"

    def __init__(
        self,
        paths: list[str],
        parent: QWidget | None = None,
        *,
        destination: str | None = None,
        copier: Copier = copy_files,
    ):
        super().__init__(parent, work_name="export-picks")
        self.setWindowTitle("Export picks")
        self.setMinimumWidth(520)
        self._paths = list(paths)
        self._copier = copier
        self.report: ExportReport | None = None
        self._build(destination)

    def _build(self, destination: str | None) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        count = len(self._paths)
        intro = QLabel(
            f"Copy {count} photo{'s' if count != 1 else ''} to a folder. The originals stay "
            "where they are, and nothing already in the folder is overwritten."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.destination_edit = QLineEdit(destination or "")
        self.destination_edit.setPlaceholderText("Destination folder")
        self.destination_edit.textChanged.connect(self._update_buttons)
        self.browse_button = QPushButton("Choose…")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        row.addWidget(self.destination_edit, 1)
        row.addWidget(self.browse_button)
        layout.addLayout(row)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, max(count, 1))
        self.progress_bar.setValue(0)
        layout.addWidget(self.progress_bar)
        self.current_label = QLabel("")
        self.stop_label = self.current_label
        layout.addWidget(self.current_label)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setMinimumHeight(160)
        self.report_view.setVisible(False)
        layout.addWidget(self.report_view)
        self.buttons = QDialogButtonBox()
        self.copy_button = self.buttons.addButton("Copy", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.copy_button.clicked.connect(self.start_copy)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.copy_button.setEnabled(
            not running and self.report is None and bool(self.destination_edit.text().strip())
        )
        self.destination_edit.setEnabled(not running and self.report is None)
        self.browse_button.setEnabled(not running and self.report is None)

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Export picks to", self.destination_edit.text()
        )
        if folder:
            self.destination_edit.setText(folder)

    def start_copy(self) -> None:
        """Start copying into the chosen folder in the background."""
        destination = self.destination_edit.text().strip()
        if not destination or self.is_running():
            return
        paths, progress = self._paths, self._on_gui_thread(self._on_copy_progressed)
        self._start_work(
            lambda: self._copier(paths, destination, progress=progress, cancel=self._cancel),
            self._on_copy_finished,
            lambda exc: self._on_copy_failed(destination, exc),
        )
        self.current_label.setText("Copying…")
        self._update_buttons()

    def _on_copy_progressed(self, done: int, total: int, current: str) -> None:
        self.progress_bar.setMaximum(max(total, 1))
        self.progress_bar.setValue(done)
        self.current_label.setText(Path(current).name if current else "")

    def _on_copy_finished(self, report: ExportReport) -> None:
        self.report = report
        self.current_label.setText("Cancelled." if report.cancelled else "Done.")
        self.report_view.setPlainText(report_text(report))
        self.report_view.setVisible(True)
        self.adjustSize()
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self._update_buttons()

    def _on_copy_failed(self, destination: str, exc: BaseException) -> None:
        # E.g. the folder cannot be created: tell the user why.
        log.error("export to %s failed", destination, exc_info=exc)
        self.current_label.setText(f"Could not export to {destination}: {exc}")
        self.cancel_button.setEnabled(True)
        self._update_buttons()
