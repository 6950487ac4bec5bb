"""The banner that never lets a user mistake a synthetic model's scores for real ones."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

SYNTHETIC_MESSAGE = "Synthetic model — random weights, scores are meaningless (for testing only)"

# Hazard colours, deliberately not a level colour: this is a warning about every score at once.
_BANNER_STYLE = """
QFrame#syntheticBanner {
    background: #6c3483;
    border-bottom: 2px solid #f4d03f;
}
QFrame#syntheticBanner QLabel { color: #ffffff; }
QLabel#syntheticBannerTag {
    background: #f4d03f; color: #1b1b1b; border-radius: 3px; padding: 1px 6px;
    font-weight: bold;
}
"""


class SyntheticBanner(QFrame):
    """A full-width strip shown while a synthetic model is loaded; hidden otherwise."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("syntheticBanner")
        self.setStyleSheet(_BANNER_STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(10)
        tag = QLabel("SYNTHETIC")
        tag.setObjectName("syntheticBannerTag")
        self.message_label = QLabel(SYNTHETIC_MESSAGE)
        self.message_label.setObjectName("syntheticBannerMessage")
        font = self.message_label.font()
        font.setBold(True)
        self.message_label.setFont(font)
        self.message_label.setWordWrap(True)
        layout.addWidget(tag, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.message_label, 1)
        self.setAccessibleName(SYNTHETIC_MESSAGE)
        self.setVisible(False)

    def set_synthetic(self, synthetic: bool) -> None:
        """Show the banner while the loaded model is synthetic; hide it for a real model."""
        self.setVisible(bool(synthetic))
