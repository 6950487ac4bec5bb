"""The radar chart draws the values it is given: geometry checked as numbers, pixels as pixels."""

from __future__ import annotations

import math

from PySide6.QtGui import QColor, QImage

from humanaes_desktop.engine.dimensions import GROUPS
from humanaes_desktop.ui.breakdown.palette import score_color
from humanaes_desktop.ui.breakdown.radar_chart import (
    RADAR_ORDER,
    RadarChart,
    ordered_values,
    radar_vertices,
)
from tests.support.assessments import KNOWN_DIMENSIONS


def test_vertices_lie_at_value_times_radius_clockwise_from_the_top():
    values = [1.0, 0.5, 0.0, 0.25]
    points = radar_vertices(values, 100.0, 100.0, 80.0)
    expected = [(100.0, 20.0), (140.0, 100.0), (100.0, 100.0), (80.0, 100.0)]
    for (x, y), (ex, ey) in zip(points, expected, strict=True):
        assert math.isclose(x, ex, abs_tol=1e-9) and math.isclose(y, ey, abs_tol=1e-9)


def test_distance_from_centre_is_proportional_to_each_known_value():
    values = ordered_values(KNOWN_DIMENSIONS)
    points = radar_vertices(values, 50.0, 60.0, 100.0)
    for (x, y), value in zip(points, values, strict=True):
        assert math.isclose(math.hypot(x - 50.0, y - 60.0), value * 100.0, abs_tol=1e-9)


def test_values_outside_unit_range_are_clamped():
    (x, y), (x2, y2) = radar_vertices([1.7, -0.3], 0.0, 0.0, 10.0)
    assert math.isclose(math.hypot(x, y), 10.0) and math.isclose(math.hypot(x2, y2), 0.0)


def test_spokes_keep_each_group_contiguous():
    groups = [d.group for d in RADAR_ORDER]
    assert len(RADAR_ORDER) == 12
    assert [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g] == list(GROUPS)


def _render(chart: RadarChart) -> QImage:
    chart.resize(400, 320)
    image = QImage(chart.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("#202124"))
    chart.render(image)
    return image


def test_chart_renders_the_polygon_where_the_values_are(qtbot):
    chart = RadarChart()
    qtbot.addWidget(chart)
    empty = _render(chart)
    chart.set_values(KNOWN_DIMENSIONS, overall=0.71)
    drawn = _render(chart)
    assert drawn != empty  # the polygon added pixels
    cx, cy, radius = chart.geometry_for(400, 320)
    values = ordered_values(KNOWN_DIMENSIONS)
    points = radar_vertices(values, cx, cy, radius)
    for (x, y), value in zip(points, values, strict=True):
        # each vertex carries a dot in its level's colour, exactly where the value puts it
        assert drawn.pixelColor(int(x), int(y)).rgb() == score_color(value).rgb(), value
    distinct = {drawn.pixel(x, y) for x in range(0, 400, 7) for y in range(0, 320, 7)}
    assert len(distinct) > 20  # not a blank or single-colour image
