"""Sync conflicts: ratings changed both here and in a sidecar since the last sync.

A modeless window (the gallery keeps working behind it): one row per photo and field with both
values; Keep app / Take file / Newest wins settle the selected rows (all rows when none is
selected), and "always" remembers the choice for future conflicts.
"""

from __future__ import annotations

import os
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.library.xmp.records import Conflict

FIELD_NAMES = {"stars": "Stars", "flag": "Pick", "color": "Label"}
_FLAGS = {"-1": "rejected", "0": "not flagged", "1": "picked"}
COLUMNS = ("Photo", "Field", "In the app", "In the sidecar", "Sidecar changed")


def describe_value(field: str, value: str) -> str:
    """A conflict value as a user reads it ("3 stars", "picked", "red", "no label")."""
    if field == "stars":
        return "no stars" if value == "0" else f"{value} star" + ("" if value == "1" else "s")
    if field == "flag":
        return _FLAGS.get(value, value)
    return value or "no label"


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "-"


class SyncConflictsDialog(QDialog):
    """Lists conflicts; emits `resolve_requested(choice, image_ids, remember)`."""

    resolve_requested = Signal(str, list, bool)  # "app" | "file" | "newest", ids, remember

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sync conflicts")
        self.setModal(False)
        self._conflicts: list[Conflict] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.remember = QCheckBox("Settle future conflicts the same way")
        self.keep_app = QPushButton("Keep app")
        self.take_file = QPushButton("Take file")
        self.newest = QPushButton("Newest wins")
        self.keep_app.setToolTip("Write the app's value into the sidecar")
        self.take_file.setToolTip("Take the sidecar's value into the app")
        self.newest.setToolTip("Whichever changed last: the sidecar file or your edit here")
        for button, choice in (
            (self.keep_app, "app"),
            (self.take_file, "file"),
            (self.newest, "newest"),
        ):
            button.clicked.connect(lambda _checked=False, c=choice: self._resolve(c))
        buttons = QHBoxLayout()
        buttons.addWidget(self.remember)
        buttons.addStretch(1)
        for button in (self.keep_app, self.take_file, self.newest):
            buttons.addWidget(button)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(760, 360)
        self.set_conflicts([])

    def set_conflicts(self, conflicts: list[Conflict]) -> None:
        """Show these conflicts (replacing the list)."""
        self._conflicts = list(conflicts)
        self.table.setRowCount(len(conflicts))
        for row, c in enumerate(conflicts):
            cells = (
                os.path.basename(c.path),
                FIELD_NAMES.get(c.field, c.field),
                describe_value(c.field, c.app_value),
                describe_value(c.field, c.file_value),
                _when(c.file_mtime),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(f"{c.path}\nsidecar: {c.sidecar_path}")
                self.table.setItem(row, column, item)
        photos = len({c.image_id for c in conflicts})
        self.summary.setText(
            f"{len(conflicts)} rating(s) of {photos} photo(s) were changed both here and in a"
            " sidecar by another program since the last sync. Nothing was overwritten."
            if conflicts
            else "No sync conflicts: the app and the sidecars agree."
        )
        for button in (self.keep_app, self.take_file, self.newest):
            button.setEnabled(bool(conflicts))

    def selected_ids(self) -> list[int]:
        """Image ids of the selected rows; every listed photo when none is selected."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        chosen = [self._conflicts[r] for r in rows] or self._conflicts
        return sorted({c.image_id for c in chosen})

    def _resolve(self, choice: str) -> None:
        ids = self.selected_ids()
        if ids:
            self.resolve_requested.emit(choice, ids, self.remember.isChecked())


def conflict_count_text(count: int) -> str:
    """The status bar's note, or "" when there is nothing to settle."""
    return f"{count} sync conflict" + ("" if count == 1 else "s") if count else ""
