"""Colours of the five rating levels, shared by the gallery badges and the detail panel.

One place decides what "excellent" looks like so the grid, table and charts always agree.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from humanaes_desktop.engine.dimensions import LEVELS, level_for

# A red-to-green ramp that stays readable with white text on top.
LEVEL_HEX: dict[str, str] = {
    "bad": "#c0392b",
    "poor": "#d35400",
    "fair": "#b7950b",
    "good": "#27ae60",
    "excellent": "#1e8449",
}
UNSCORED_HEX = "#7f8c8d"  # grey: no score yet
FAILED_HEX = "#2c3e50"  # near-black: the image could not be scored
SYNTHETIC_HEX = "#8e44ad"  # purple: marks results of a synthetic model
QUICK_HEX = "#d68910"  # amber: a quick (one-tile) score, the full one not in yet

assert set(LEVEL_HEX) == set(LEVELS), "every level needs a colour"

# Colour labels (Lightroom's five), as the library stores them.
LABEL_HEX: dict[str, str] = {
    "red": "#e74c3c",
    "yellow": "#f1c40f",
    "green": "#2ecc71",
    "blue": "#3498db",
    "purple": "#9b59b6",
}


def level_color(level: str | None) -> QColor:
    """The colour of a level name; grey for None or an unknown name."""
    return QColor(LEVEL_HEX.get(level or "", UNSCORED_HEX))


def score_color(score: float | None) -> QColor:
    """The colour of the level a score in [0, 1] falls into; grey when there is no score."""
    if score is None or score != score:
        return QColor(UNSCORED_HEX)
    return level_color(level_for(score))


def failed_color() -> QColor:
    """The colour that marks an image that could not be scored."""
    return QColor(FAILED_HEX)


def unscored_color() -> QColor:
    """The colour of a badge without a score."""
    return QColor(UNSCORED_HEX)


def label_color(label: str | None) -> QColor | None:
    """The colour of a colour label ("red", ...); None when the photo has none."""
    hex_code = LABEL_HEX.get(label or "")
    return QColor(hex_code) if hex_code else None


# The learnt taste's emphasis bars: valued more / less than the average rater.
TASTE_MORE_HEX = "#16a085"
TASTE_LESS_HEX = "#d35400"
