"""Culling marks on a grid cell, from the first pass (no model needed): "soft", "eyes closed",
"clipped", the face count, and for a burst its size and whether this frame is the suggested pick.

Painted along the thumbnail's bottom edge (the score badge owns the top-left corner, the flag the
top-right), small and translucent so they never hide the photo.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter

from humanaes_desktop.library.records import ImageRow

MARK_COLORS = {
    "soft": QColor(211, 84, 0, 215),
    "eyes closed": QColor(192, 57, 43, 215),
    "clipped": QColor(183, 149, 11, 215),
}
FACE_COLOR = QColor(0, 0, 0, 150)
STACK_COLOR = QColor(41, 128, 185, 225)
PICK_COLOR = QColor(39, 174, 96, 225)
HEIGHT = 16


def mark_texts(row: ImageRow) -> list[str]:
    """The marks of a row, left to right (empty before the first pass has run)."""
    if row.culling is None:
        return []
    return list(row.culling.badges())


def stack_text(row: ImageRow) -> str | None:
    """ "▣ 8" on a burst's frames (its size), "▣ set 3" on a set kept whole; None otherwise."""
    c = row.culling
    if c is None or c.group_key is None or c.group_size < 2:
        return None
    if c.group_kind == "burst":
        return f"▣ {c.group_size}"
    return f"▣ {c.group_kind.replace('_', ' ')} {c.group_size}"


def draw_culling_marks(painter: QPainter, row: ImageRow, thumb: QRect) -> None:
    """Marks along the thumbnail's bottom; stack size and pick mark on its right edge."""
    texts = mark_texts(row)
    metrics = painter.fontMetrics()
    x = thumb.x() + 4
    y = thumb.bottom() - HEIGHT - 26 if row.rating.stars else thumb.bottom() - HEIGHT - 4
    for text in texts:
        width = metrics.horizontalAdvance(text) + 8
        if x + width > thumb.right() - 4:
            break
        _chip(painter, QRect(x, y, width, HEIGHT), MARK_COLORS.get(text, FACE_COLOR), text)
        x += width + 3
    right = thumb.right() - 4
    top = thumb.y() + 28
    stack = stack_text(row)
    if stack is not None:
        width = metrics.horizontalAdvance(stack) + 8
        _chip(painter, QRect(right - width, top, width, HEIGHT), STACK_COLOR, stack)
        top += HEIGHT + 3
    if row.culling is not None and row.culling.is_pick:
        text = "best"
        width = metrics.horizontalAdvance(text) + 8
        _chip(painter, QRect(right - width, top, width, HEIGHT), PICK_COLOR, text)


def _chip(painter: QPainter, rect: QRect, color: QColor, text: str) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(rect, 3, 3)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
