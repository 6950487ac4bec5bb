"""Paints one grid cell: the thumbnail, a score badge coloured by level, flag and stars, and
the culling marks of the first pass (culling_marks.py).

The badge reads "—" while a photo is unscored and "failed" for a photo that cannot be scored;
results of a synthetic model carry a purple "SYN" tag so a meaningless number is never shown bare,
and a quick (one-tile) score an amber "QUICK" tag until its full score replaces it.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.records import Flag, ImageRow
from humanaes_desktop.ui.breakdown.palette import (
    QUICK_HEX,
    SYNTHETIC_HEX,
    failed_color,
    label_color,
    level_color,
    score_color,
    unscored_color,
)
from humanaes_desktop.ui.breakdown.radar_chart import SHORT_LABELS
from humanaes_desktop.ui.gallery.culling_marks import draw_culling_marks
from humanaes_desktop.ui.gallery.model import (
    Column,
    GalleryModel,
    ImageRowRole,
    is_failed,
)
from humanaes_desktop.wording import stars_text

THUMB_EDGE = 176  # the square the thumbnail is fitted into
PADDING = 6
TEXT_HEIGHT = 18
CELL_SIZE = QSize(THUMB_EDGE + 2 * PADDING, THUMB_EDGE + 2 * PADDING + TEXT_HEIGHT)


def badge_text(row: ImageRow) -> str:
    """What the score badge says: the overall score, "—" unscored, "failed"."""
    if is_failed(row):
        return "failed"
    if row.overall is None:
        return "—"
    return f"{row.overall:.2f}"


def badge_tags(row: ImageRow) -> list[str]:
    """The tags beside the score badge: "SYN" for a synthetic model, "QUICK" for a quick score."""
    if row.overall is None or is_failed(row):
        return []
    tags = ["SYN"] if row.synthetic else []
    if row.profile_kind is ProfileKind.QUICK:
        tags.append("QUICK")
    return tags


def badge_color(row: ImageRow) -> QColor:
    """The badge colour: the level's colour, grey while unscored, near-black when failed."""
    if is_failed(row):
        return failed_color()
    if row.overall is None:
        return unscored_color()
    return level_color(row.level)


_TAG_HEX = {"SYN": SYNTHETIC_HEX, "QUICK": QUICK_HEX}

CELL_CACHE_SIZE = 400  # rendered cells kept (a few screens' worth)


class GalleryDelegate(QStyledItemDelegate):
    """Grid-cell painter for GalleryModel's first column.

    A finished cell is kept as a pixmap keyed by everything it shows, so scrolling back and
    forth re-blits cells instead of re-running a dozen Python paint calls per cell per frame.
    """

    def __init__(self, source: GalleryModel, parent=None) -> None:
        super().__init__(parent)
        self._source = source  # the grid's own model only holds row slots
        self._cells: OrderedDict[tuple, QPixmap] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        return CELL_SIZE

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if option.rect.isEmpty():
            return  # a cell the wrapping list has not laid out yet (a batch after a new count)
        source_index = self._source.index(index.row(), Column.NAME)
        row: ImageRow | None = source_index.data(ImageRowRole)
        pixmap = source_index.data(Qt.ItemDataRole.DecorationRole)
        if not isinstance(pixmap, QPixmap) or pixmap.isNull():
            pixmap = None
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        shown = self._source.shown_dimension
        key = (
            _row_key(row),
            shown,
            (row.dimensions or {}).get(shown) if row is not None and shown else None,
            selected,
            pixmap.cacheKey() if pixmap else 0,
            option.rect.size().toTuple(),
        )
        cell = self._cells.get(key)
        if cell is None:
            cell = self._render(option, row, pixmap, selected, painter.device().devicePixelRatio())
            self._cells[key] = cell
            if len(self._cells) > CELL_CACHE_SIZE:
                self._cells.popitem(last=False)
        else:
            self._cells.move_to_end(key)
        painter.drawPixmap(option.rect.topLeft(), cell)

    def _render(self, option, row: ImageRow | None, pixmap, selected: bool, dpr: float) -> QPixmap:
        cell = QPixmap(option.rect.size() * dpr)
        cell.setDevicePixelRatio(dpr)
        cell.fill(Qt.GlobalColor.transparent)
        painter = QPainter(cell)
        painter.setFont(option.font)
        try:
            self._paint_cell(painter, option, row, pixmap, selected)
        finally:
            painter.end()
        return cell

    def _paint_cell(self, painter: QPainter, option, row, pixmap, selected: bool) -> None:
        rect = QRect(0, 0, option.rect.width(), option.rect.height())
        palette = option.palette
        if selected:
            painter.fillRect(rect, palette.highlight())
        thumb_rect = QRect(rect.x() + PADDING, rect.y() + PADDING, THUMB_EDGE, THUMB_EDGE)
        rejected = row is not None and row.rating.flag == Flag.REJECTED
        if pixmap is not None:
            _draw_fitted(painter, pixmap, thumb_rect, opacity=0.35 if rejected else 1.0)
        else:
            painter.fillRect(thumb_rect, palette.alternateBase())
        name_rect = QRect(rect.x() + PADDING, thumb_rect.bottom() + 2, THUMB_EDGE, TEXT_HEIGHT)
        text_role = palette.highlightedText() if selected else palette.text()
        painter.setPen(text_role.color())
        name = row.file_name if row is not None else "…"
        elided = option.fontMetrics.elidedText(name, Qt.TextElideMode.ElideMiddle, THUMB_EDGE)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignCenter, elided)
        if row is not None:
            _draw_badges(painter, row, thumb_rect)
            _draw_dimension_badge(painter, row, self._source.shown_dimension, thumb_rect)
            _draw_color_label(painter, row, QRect(thumb_rect.x(), rect.bottom() - 3, THUMB_EDGE, 4))
            draw_culling_marks(painter, row, thumb_rect)


def _row_key(row: ImageRow | None) -> tuple | None:
    """Everything of a row that a cell shows (ImageRow itself holds an unhashable dict)."""
    if row is None:
        return None
    return (
        row.id, row.file_name, row.overall, row.level, row.status, row.synthetic, row.rating,
        row.max_tiles, row.culling,
    )  # fmt: skip


def _draw_fitted(painter: QPainter, pixmap: QPixmap, box: QRect, opacity: float) -> None:
    natural = pixmap.deviceIndependentSize().toSize()
    size = natural.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, size.width(), size.height())
    target.moveCenter(box.center())
    painter.setOpacity(opacity)
    if size == natural:
        painter.drawPixmap(target.topLeft(), pixmap)  # made for this cell: a plain blit
    else:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)
    painter.setOpacity(1.0)


def dimension_badge_text(row: ImageRow, key: str | None) -> str | None:
    """What the second badge says when sorted by a dimension ("Environment 0.54"), or None."""
    value = (row.dimensions or {}).get(key) if key else None
    if value is None:
        return None
    return f"{SHORT_LABELS.get(key, key)} {value:.2f}"


def _draw_dimension_badge(painter: QPainter, row: ImageRow, key: str | None, thumb: QRect) -> None:
    """Under the overall badge: the value of the dimension the gallery is sorted by."""
    text = dimension_badge_text(row, key)
    if text is None:
        return
    value = row.dimensions[key]
    width = painter.fontMetrics().horizontalAdvance(text) + 12
    _pill(painter, QRect(thumb.x() + 4, thumb.y() + 28, width, 20), score_color(value), text)


def _draw_color_label(painter: QPainter, row: ImageRow, strip: QRect) -> None:
    """A colour label is a bar under the file name (Lightroom tints the cell the same way)."""
    color = label_color(row.rating.color)
    if color is not None:
        painter.fillRect(strip, color)


def _pill(painter: QPainter, rect: QRect, color: QColor, text: str) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(rect, 4, 4)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _draw_badges(painter: QPainter, row: ImageRow, thumb: QRect) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont(painter.font())
    font.setBold(True)
    painter.setFont(font)
    text = badge_text(row)
    width = painter.fontMetrics().horizontalAdvance(text) + 12
    badge = QRect(thumb.x() + 4, thumb.y() + 4, width, 20)
    _pill(painter, badge, badge_color(row), text)
    left = badge.right() + 4
    for tag in badge_tags(row):
        width = painter.fontMetrics().horizontalAdvance(tag) + 10
        _pill(painter, QRect(left, badge.y(), width, 20), QColor(_TAG_HEX[tag]), tag)
        left += width + 4
    flag = row.rating.flag
    if flag != Flag.NONE:
        mark = QRect(thumb.right() - 24, thumb.y() + 4, 20, 20)
        color = QColor("#27ae60") if flag == Flag.PICKED else QColor("#c0392b")
        _pill(painter, mark, color, "✓" if flag == Flag.PICKED else "✕")
    if row.rating.stars:
        stars = QRect(thumb.x() + 4, thumb.bottom() - 22, 80, 18)
        _pill(
            painter,
            stars,
            QColor(0, 0, 0, 150),
            stars_text(row.rating.stars, blank_if_unrated=True),
        )
