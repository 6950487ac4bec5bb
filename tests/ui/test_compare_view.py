"""Compare view: photos side by side, each dimension row marks the photo that does best."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.ui.breakdown.compare_view import CompareView, best_columns
from tests.support.assessments import KNOWN_DIMENSIONS, detailed_assessment, make_detail


def _shifted(offset: float) -> dict[str, float]:
    """KNOWN_DIMENSIONS moved by `offset`, wrapped into [0, 1)."""
    return {k: round((v + offset) % 1.0, 3) for k, v in KNOWN_DIMENSIONS.items()}


@pytest.fixture
def view(qtbot):
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    return widget


def test_two_photos_best_value_highlighted_per_row(view, qtbot):
    a = make_detail(1, "astronaut.png", detailed_assessment(0.71, KNOWN_DIMENSIONS))
    b = make_detail(2, "chelsea.png", detailed_assessment(0.55, _shifted(0.3)))
    view.show_details([a, b])
    for key in DIMENSION_KEYS:
        first, second = KNOWN_DIMENSIONS[key], _shifted(0.3)[key]
        assert view.cell(key, 0).is_best == (first >= second), key
        assert view.cell(key, 1).is_best == (second >= first), key
        assert view.cell(key, 0).bar.is_highlighted() == view.cell(key, 0).is_best
    # outfit: 0.05 vs 0.35 → the second photo wins; brightness: 0.91 vs 0.21 → the first
    assert view.cell("outfit", 1).is_best and not view.cell("outfit", 0).is_best
    assert view.cell("facial_brightness", 0).is_best
    assert view.findChild(QLabel, "compare_overall_0").text() == "0.71"
    assert view.findChild(QLabel, "compare_best_0") is not None
    assert view.findChild(QLabel, "compare_best_1") is None


def test_four_photos_including_an_unscored_one(view, qtbot):
    offsets = [0.0, 0.2, 0.45]
    details = [
        make_detail(i + 1, photo, detailed_assessment(0.3 + 0.1 * i, _shifted(off)))
        for i, (photo, off) in enumerate(
            zip(("astronaut.png", "chelsea.png", "coffee.png"), offsets, strict=True)
        )
    ]
    details.append(make_detail(4, "rocket.jpg", None, status=ImageStatus.QUEUED))
    view.show_details(details)
    for key in DIMENSION_KEYS:
        values = [_shifted(off)[key] for off in offsets]
        winner = values.index(max(values))
        for column in range(3):
            assert view.cell(key, column).is_best == (column == winner), (key, column)
        assert not view.cell(key, 3).is_best
        assert view.cell(key, 3).value_label.text() == "—"
    qtbot.waitUntil(
        lambda: all(not view.preview_pixmap(c).isNull() for c in range(4)), timeout=5000
    )


def test_ties_mark_every_tied_photo():
    same = detailed_assessment(0.5, KNOWN_DIMENSIONS)
    best = best_columns([make_detail(1, assessment=same), make_detail(2, assessment=same)])
    assert best["overall"] == {0, 1} and best["outfit"] == {0, 1}


def test_fewer_than_two_photos_shows_a_hint(view):
    view.show_details([make_detail(1, assessment=detailed_assessment())])
    hint = view.findChild(QLabel, "compare_hint")
    assert hint is not None and hint.isVisible() and "two to nine" in hint.text()
    assert view.cell("outfit", 0) is None


def test_previews_grow_with_their_columns(qtbot):
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(520, 800)  # narrow first: the previews are decoded at this width
    widget.show()
    widget.show_details(
        [
            make_detail(1, "chelsea.png", detailed_assessment(0.6, KNOWN_DIMENSIONS)),
            make_detail(2, "coffee.png", detailed_assessment(0.5, _shifted(0.2))),
        ]
    )
    qtbot.waitUntil(widget.previews_loaded, timeout=5000)
    narrow = widget.preview_pixmap(0).deviceIndependentSize().width()
    widget.resize(1400, 800)  # the user widens the window
    qtbot.waitUntil(
        lambda: widget.preview_pixmap(0).deviceIndependentSize().width() > narrow + 50,
        timeout=3000,
    )


def test_a_quick_score_is_tagged_quick_beside_a_full_one(view):
    quick = make_detail(1, "astronaut.png", detailed_assessment(0.71, max_tiles=1))
    full = make_detail(2, "chelsea.png", detailed_assessment(0.55, _shifted(0.3), max_tiles=12))
    view.show_details([quick, full])
    tag = view.findChild(QLabel, "compare_quick_0")
    assert tag is not None and tag.text() == "QUICK"
    assert "whole photo as one tile" in tag.toolTip()
    assert view.findChild(QLabel, "compare_quick_1") is None
