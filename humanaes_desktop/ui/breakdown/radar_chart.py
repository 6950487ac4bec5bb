"""A radar chart of the 12 dimensions, grouped face / appearance / environment / overall.

The geometry is a pure function (`radar_vertices`) so it can be checked without painting; the
widget only draws what that function computes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from humanaes_desktop.engine.dimensions import (
    GROUPS,
    LEVEL_UPPER_BOUNDS,
    Dimension,
    dimensions_in_group,
)
from humanaes_desktop.ui.breakdown.palette import score_color

# Spokes in group order, so each group occupies one contiguous sector of the chart.
RADAR_ORDER: tuple[Dimension, ...] = tuple(d for g in GROUPS for d in dimensions_in_group(g))

# The model's names are too long to sit around a circle; these keep their meaning.
SHORT_LABELS: dict[str, str] = {
    "facial_brightness": "Brightness",
    "facial_feature_clarity": "Feature clarity",
    "facial_skin_tone": "Skin tone",
    "facial_structure": "Structure",
    "facial_contour_clarity": "Contour",
    "facial_aesthetic": "Face (all)",
    "outfit": "Outfit",
    "body_shape": "Body shape",
    "looks": "Looks",
    "general_appearance": "Appearance (all)",
    "environment": "Environment",
    "comprehensive": "Comprehensive",
}

# One hue per group, shared with the bars so the two views read as one.
GROUP_COLORS: dict[str, str] = {
    "face": "#5dade2",
    "appearance": "#bb8fce",
    "environment": "#48c9b0",
    "overall": "#f0b27a",
}


def is_dark(widget: QWidget) -> bool:
    """True when the widget's window background is dark (a dark theme)."""
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def group_color(group: str, widget: QWidget) -> QColor:
    """The group's hue, adjusted so it stays readable as text on this widget's background."""
    colour = QColor(GROUP_COLORS[group])
    return colour.lighter(110) if is_dark(widget) else colour.darker(165)


def muted_css(widget: QWidget) -> str:
    """A CSS colour for secondary text: the text colour at reduced opacity, on any theme."""
    text = widget.palette().color(QPalette.ColorRole.WindowText)
    return f"rgba({text.red()}, {text.green()}, {text.blue()}, 165)"


def spoke_angle(index: int, count: int) -> float:
    """Angle in radians of spoke `index`: the first points up, the rest follow clockwise."""
    return -math.pi / 2 + 2 * math.pi * index / count


def radar_vertices(
    values: Sequence[float], cx: float, cy: float, radius: float
) -> list[tuple[float, float]]:
    """Screen points (y down) of the value polygon: spoke i at distance values[i] * radius."""
    count = len(values)
    points = []
    for i, value in enumerate(values):
        clamped = min(max(float(value), 0.0), 1.0)
        angle = spoke_angle(i, count)
        points.append(
            (cx + radius * clamped * math.cos(angle), cy + radius * clamped * math.sin(angle))
        )
    return points


def ordered_values(dimensions: Mapping[str, float]) -> list[float]:
    """The 12 values in RADAR_ORDER."""
    return [float(dimensions[d.key]) for d in RADAR_ORDER]


class RadarChart(QWidget):
    """Paints the 12 dimension values as a polygon over level rings at 0.2 / 0.4 / 0.6 / 0.8."""

    LABEL_MARGIN = 10

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._values: list[float] | None = None
        self._overall: float | None = None
        self._background_pixmap: QPixmap | None = None
        self._background_key: tuple | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(280, 240)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(380, 320)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return max(240, int(width * 0.75))

    def set_values(self, dimensions: Mapping[str, float] | None, overall: float | None = None):
        """Show these dimension values (None: the empty chart)."""
        self._values = ordered_values(dimensions) if dimensions is not None else None
        self._overall = overall
        self.update()

    def values(self) -> list[float] | None:
        """The plotted values in RADAR_ORDER (None when empty)."""
        return None if self._values is None else list(self._values)

    def geometry_for(self, width: int, height: int) -> tuple[float, float, float]:
        """Centre x, centre y and radius used for a widget of this size (room left for labels)."""
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(text) for text in SHORT_LABELS.values())
        label_room_x = min(widest + self.LABEL_MARGIN + 4.0, width * 0.3)
        label_room_y = metrics.height() + self.LABEL_MARGIN + 4.0
        radius = max(10.0, min(width / 2 - label_room_x, height / 2 - label_room_y))
        return width / 2, height / 2, radius

    def paintEvent(self, event) -> None:  # noqa: N802
        cx, cy, radius = self.geometry_for(self.width(), self.height())
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._background(cx, cy, radius))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._values is not None:
            self._paint_polygon(painter, cx, cy, radius)
        else:
            self._paint_empty_note(painter)
        painter.end()

    def _background(self, cx: float, cy: float, radius: float) -> QPixmap:
        """Sectors, rings, spokes and labels: the same for every photo, so drawn once per size.

        Arrow-key culling repaints the chart for each photo; caching the static part keeps that
        repaint to the polygon alone.
        """
        ratio = self.devicePixelRatioF()
        key = (self.width(), self.height(), ratio, self.palette().cacheKey(), self.font().key())
        if self._background_key != key or self._background_pixmap is None:
            pixmap = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_sectors(painter, cx, cy, radius)
            self._paint_grid(painter, cx, cy, radius)
            self._paint_labels(painter, cx, cy, radius)
            painter.end()
            self._background_pixmap, self._background_key = pixmap, key
        return self._background_pixmap

    def _text_color(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.WindowText)

    def _paint_sectors(self, painter: QPainter, cx: float, cy: float, radius: float) -> None:
        count = len(RADAR_ORDER)
        step = 360.0 / count
        box = QRectF(cx - radius, cy - radius, 2 * radius, 2 * radius)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, dim in enumerate(RADAR_ORDER):
            tint = QColor(GROUP_COLORS[dim.group])
            tint.setAlpha(28)
            path = QPainterPath(QPointF(cx, cy))
            # Qt angles run counter-clockwise from 3 o'clock; ours clockwise from 12 o'clock.
            start = 90.0 - (i * step) + step / 2
            path.arcTo(box, start, -step)
            path.closeSubpath()
            painter.fillPath(path, tint)

    def _paint_grid(self, painter: QPainter, cx: float, cy: float, radius: float) -> None:
        grid = QColor(self._text_color())
        grid.setAlpha(60)
        count = len(RADAR_ORDER)
        for fraction in (*LEVEL_UPPER_BOUNDS, 1.0):
            ring = radar_vertices([fraction] * count, cx, cy, radius)
            painter.setPen(QPen(grid, 1.0 if fraction < 1.0 else 1.4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in ring]))
        for x, y in radar_vertices([1.0] * count, cx, cy, radius):
            painter.drawLine(QPointF(cx, cy), QPointF(x, y))
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.75))
        painter.setFont(small)
        faint = QColor(self._text_color())
        faint.setAlpha(130)
        painter.setPen(faint)
        for fraction in LEVEL_UPPER_BOUNDS:
            painter.drawText(QPointF(cx + 3, cy - radius * fraction - 2), f"{fraction:.1f}")

    def _paint_labels(self, painter: QPainter, cx: float, cy: float, radius: float) -> None:
        painter.setFont(self.font())
        metrics = painter.fontMetrics()
        count = len(RADAR_ORDER)
        for i, dim in enumerate(RADAR_ORDER):
            angle = spoke_angle(i, count)
            x = cx + (radius + self.LABEL_MARGIN) * math.cos(angle)
            y = cy + (radius + self.LABEL_MARGIN) * math.sin(angle)
            text = SHORT_LABELS[dim.key]
            width, height = metrics.horizontalAdvance(text) + 2, metrics.height()
            cos = math.cos(angle)
            left = x - width / 2 if abs(cos) < 0.3 else (x if cos > 0 else x - width)
            left = min(max(left, 0.0), self.width() - width)  # never cut a label at the edge
            top = y - height / 2 + (math.sin(angle) * height / 2)
            painter.setPen(group_color(dim.group, self))
            painter.drawText(QRectF(left, top, width, height), Qt.AlignmentFlag.AlignCenter, text)

    def _paint_polygon(self, painter: QPainter, cx: float, cy: float, radius: float) -> None:
        points = radar_vertices(self._values or [], cx, cy, radius)
        colour = score_color(self._overall) if self._overall is not None else QColor("#3498db")
        fill = QColor(colour)
        fill.setAlpha(80)
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(fill)
        painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
        for (x, y), value in zip(points, self._values or [], strict=True):
            painter.setPen(QPen(QColor("#101010"), 1.0))
            painter.setBrush(score_color(value))
            painter.drawEllipse(QPointF(x, y), 4.0, 4.0)

    def _paint_empty_note(self, painter: QPainter) -> None:
        painter.setPen(self._text_color())
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No scores yet")
