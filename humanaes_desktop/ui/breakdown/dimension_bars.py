"""Labelled bars for the 12 dimensions: name, a bar coloured by level, the value and the level.

Each value and level is a real QLabel (selectable, readable by screen readers and by tests); only
the bar itself is painted.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from humanaes_desktop.engine.dimensions import (
    DIMENSIONS,
    GROUP_TITLES,
    GROUPS,
    LEVEL_UPPER_BOUNDS,
    Dimension,
    dimensions_in_group,
    level_for,
)
from humanaes_desktop.ui.breakdown.palette import score_color
from humanaes_desktop.ui.breakdown.radar_chart import group_color

# Dimensions that summarise others (Facial Aesthetic, General Appearance, Comprehensive) are
# shown in bold so the hierarchy is visible at a glance.
AGGREGATE_KEYS: frozenset[str] = frozenset(d.parent for d in DIMENSIONS if d.parent)


def bar_label(dimension: Dimension) -> str:
    """The row label: the model's name, minus the "Aesthetic Score" that makes aggregates long."""
    if dimension.key == "facial_aesthetic":
        return "Facial Aesthetic"  # "Facial" alone would read as a typo
    return dimension.name.removesuffix(" Aesthetic Score")


def format_score(value: float | None) -> str:
    """A score as users read it: two decimals, or an em dash when there is none."""
    return "—" if value is None else f"{value:.2f}"


class ScoreBar(QWidget):
    """One horizontal bar in [0, 1], coloured by its level, with faint ticks at the level bounds."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._value: float | None = None
        self._highlighted = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(60)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(140, 14)

    def set_value(self, value: float | None, highlighted: bool = False) -> None:
        """Show `value` (None: an empty track); `highlighted` outlines it as the best."""
        self._value = value
        self._highlighted = highlighted
        self.update()

    def value(self) -> float | None:
        return self._value

    def is_highlighted(self) -> bool:
        return self._highlighted

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(self.rect()).adjusted(1, 2, -1, -2)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        base = QColor(text)
        base.setAlpha(35)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(base)
        painter.drawRoundedRect(track, 4, 4)
        if self._value is not None:
            filled = QRectF(track)
            filled.setWidth(track.width() * min(max(self._value, 0.0), 1.0))
            painter.setBrush(score_color(self._value))
            painter.drawRoundedRect(filled, 4, 4)
        tick = QColor(text)
        tick.setAlpha(70)
        painter.setPen(QPen(tick, 1))
        for bound in LEVEL_UPPER_BOUNDS:
            x = track.left() + track.width() * bound
            painter.drawLine(int(x), int(track.top()), int(x), int(track.bottom()))
        if self._highlighted:
            painter.setPen(QPen(text, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(track.adjusted(-0.5, -0.5, 0.5, 0.5), 4, 4)
        painter.end()


class DimensionBars(QWidget):
    """The 12 dimensions as bars under group headings (face, appearance, environment, overall)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._bars: dict[str, ScoreBar] = {}
        self._value_labels: dict[str, QLabel] = {}
        self._level_labels: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(1, 1)
        row = 0
        for group in GROUPS:
            grid.addWidget(self._group_header(group), row, 0, 1, 4)
            row += 1
            for dim in dimensions_in_group(group):
                self._add_row(grid, row, dim)
                row += 1
        self.set_values(None)

    def _group_header(self, group: str) -> QLabel:
        header = QLabel(GROUP_TITLES[group].upper())
        header.setObjectName(f"group_{group}")
        font = QFont(header.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
        header.setFont(font)
        header.setStyleSheet(f"color: {group_color(group, self).name()}; padding-top: 6px;")
        return header

    def _add_row(self, grid: QGridLayout, row: int, dim: Dimension) -> None:
        key = dim.key
        name_label = QLabel(bar_label(dim))
        name_label.setToolTip(dim.name)
        name_label.setObjectName(f"name_{key}")
        bar = ScoreBar()
        bar.setObjectName(f"bar_{key}")
        value_label = QLabel()
        value_label.setObjectName(f"value_{key}")
        value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value_label.setMinimumWidth(value_label.fontMetrics().horizontalAdvance("0.000"))
        level_label = QLabel()
        level_label.setObjectName(f"level_{key}")
        level_label.setMinimumWidth(level_label.fontMetrics().horizontalAdvance("excellent "))
        if key in AGGREGATE_KEYS:
            for label in (name_label, value_label):
                font = QFont(label.font())
                font.setBold(True)
                label.setFont(font)
        grid.addWidget(name_label, row, 0)
        grid.addWidget(bar, row, 1)
        grid.addWidget(value_label, row, 2)
        grid.addWidget(level_label, row, 3)
        self._bars[key] = bar
        self._value_labels[key] = value_label
        self._level_labels[key] = level_label

    def set_values(self, dimensions: Mapping[str, float] | None) -> None:
        """Show these values (None: empty bars with dashes)."""
        for key, bar in self._bars.items():
            value = None if dimensions is None else float(dimensions[key])
            bar.set_value(value)
            self._value_labels[key].setText(format_score(value))
            level = "" if value is None else level_for(value)
            self._level_labels[key].setText(level)
            colour = score_color(value).name() if value is not None else "palette(mid)"
            self._level_labels[key].setStyleSheet(f"color: {colour};")

    def row_texts(self) -> dict[str, tuple[str, str]]:
        """What each row shows: key → (value text, level text)."""
        return {
            key: (self._value_labels[key].text(), self._level_labels[key].text())
            for key in self._bars
        }
