"""The detail panel's "Your taste" section: the photo's taste score and what the taste values.

The emphasis rows are real QLabels (readable by screen readers and tests); only the signed bars
between them are painted.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from humanaes_desktop.engine.dimensions import BY_KEY
from humanaes_desktop.taste.state import TasteState
from humanaes_desktop.ui.breakdown.palette import TASTE_LESS_HEX, TASTE_MORE_HEX

ROWS_SHOWN = 5  # the dimensions that weigh most, either way


class SignedBar(QWidget):
    """A bar growing right (valued more) or left (valued less) from a centre line."""

    def __init__(self, share: float, scale: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.share, self.scale = share, scale
        self.setMinimumSize(90, 12)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        mid = self.width() / 2
        length = (self.width() / 2 - 2) * min(1.0, abs(self.share) / self.scale)
        left = mid if self.share >= 0 else mid - length
        colour = QColor(TASTE_MORE_HEX if self.share >= 0 else TASTE_LESS_HEX)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(left, 2, length, self.height() - 4), 2, 2)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawLine(round(mid), 0, round(mid), self.height())


class TasteSection(QWidget):
    """Shows the taste score of one photo and the user's taste; hidden parts when not learnt."""

    def __init__(self, muted: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._muted = muted
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.score_label = _label("taste_score_label")
        self.explanation_label = _label("taste_explanation_label")
        self.reason_label = _label("taste_reason_label")
        self.reason_label.setStyleSheet(f"color: {muted};")
        self.rows = QWidget(objectName="taste_rows")
        self._grid = QGridLayout(self.rows)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(2)
        for widget in (self.score_label, self.explanation_label, self.rows, self.reason_label):
            layout.addWidget(widget)

    def show_taste(self, state: TasteState, score: float | None) -> None:
        """The photo's score (None: unscored or no offered taste) and the taste itself."""
        self.score_label.setVisible(state.offered and score is not None)
        if score is not None:
            self.score_label.setText(
                f"<b>{score:.2f}</b> — {score:.0%} likely to beat a typical photo of your library"
            )
        self.explanation_label.setVisible(state.learnt)
        self.explanation_label.setText(state.explanation)
        self.reason_label.setText(
            state.reason if state.offered else f"Sorting by your taste is off. {state.reason}"
        )
        self._show_rows(state.emphasis if state.learnt else {})

    def _show_rows(self, emphasis: dict[str, float]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        top = sorted(emphasis.items(), key=lambda kv: -abs(kv[1]))[:ROWS_SHOWN]
        scale = max((abs(v) for _k, v in top), default=1.0) or 1.0
        for row, (key, share) in enumerate(top):
            name = QLabel(BY_KEY[key].name, objectName=f"taste_name_{key}")
            value = QLabel(f"{share:+.2f}", objectName=f"taste_value_{key}")
            value.setStyleSheet(f"color: {self._muted};")
            value.setToolTip(
                "share of the learnt weight: + valued more, − less than the average rater"
            )
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(SignedBar(share, scale), row, 1)
            self._grid.addWidget(value, row, 2, Qt.AlignmentFlag.AlignRight)
        self.rows.setVisible(bool(top))

    def shown_dimensions(self) -> list[str]:
        """The dimension keys listed, in order (for tests and the screenshot)."""
        names = [self._grid.itemAtPosition(r, 0) for r in range(self._grid.rowCount())]
        return [i.widget().objectName().removeprefix("taste_name_") for i in names if i]


def _label(name: str) -> QLabel:
    label = QLabel(objectName=name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
