"""Asks for "best N of this folder": how many, and by which score."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from humanaes_desktop.engine.dimensions import DIMENSIONS

BEST_OF_KEYS: list[tuple[str, str]] = [("Overall (MetaVoter)", "overall")] + [
    (d.name, d.key) for d in DIMENSIONS
]


class BestOfDialog(QDialog):
    """N (1-500) and a score key; `choice()` returns them after `exec()`."""

    def __init__(self, folder_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Best of {folder_name}")
        self.count = QSpinBox(objectName="bestOfCount")
        self.count.setRange(1, 500)
        self.count.setValue(10)
        self.key = QComboBox(objectName="bestOfKey")
        for label, key in BEST_OF_KEYS:
            self.key.addItem(label, key)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Select the top", self.count)
        form.addRow("by", self.key)
        form.addRow(buttons)

    def choice(self) -> tuple[int, str]:
        """(N, score key)."""
        return self.count.value(), self.key.currentData()
