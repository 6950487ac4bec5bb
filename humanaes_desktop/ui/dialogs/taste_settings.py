"""Settings → Your taste: what was learnt, and a way to forget it."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from humanaes_desktop.ui.background.taste_client import TasteClient


class TasteGroup(QGroupBox):
    """The learnt taste's verdict, and "Reset your taste…" (asks first; applies at once)."""

    def __init__(self, taste: TasteClient, parent: QWidget | None = None) -> None:
        super().__init__("Your taste", parent)
        self.taste = taste
        row = QHBoxLayout(self)
        self.state_label = QLabel(objectName="taste_state_label")
        self.state_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset your taste…", objectName="taste_reset_button")
        self.reset_button.clicked.connect(self.ask_reset)
        row.addWidget(self.state_label, 1)
        row.addWidget(self.reset_button)
        taste.state_changed.connect(self._show)
        self._show(taste.state)

    def _show(self, state) -> None:
        text = state.reason if not state.learnt else f"{state.explanation} {state.reason}"
        self.state_label.setText(text + " Learnt from this library's ratings only.")
        self.reset_button.setEnabled(state.learnt or state.rated > 0)

    def ask_reset(self) -> None:
        answer = QMessageBox.question(
            self,
            "Reset your taste",
            "Forget what was learnt from your ratings? Your ratings stay; the taste is learnt "
            "again from them after the next ratings.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.taste.reset()
