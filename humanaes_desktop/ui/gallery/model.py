"""The gallery's item model: an ordered id list plus a bounded, lazily filled row cache.

Sorting and filtering happen in the library (its in-memory arrays, or SQL); this model only
holds the resulting ids (a numpy array, 4 or 8 bytes each) and fetches `ImageRow`s page by page when a view asks for them,
so a 100,000-photo library never becomes 100,000 Python row objects. Grid and table views share
one instance. A header click does not sort here: it emits `sort_requested` and the controller
runs a new query.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from humanaes_desktop.engine.dimensions import DIMENSIONS
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.records import ImageRow, ImageStatus
from humanaes_desktop.ui.breakdown.palette import QUICK_HEX, label_color, level_color
from humanaes_desktop.wording import describe_score, flag_text, stars_text

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_CACHED_PAGES = 64  # at most 12,800 rows in memory

ImageRowRole = Qt.ItemDataRole.UserRole + 1  # the ImageRow (or None while unknown)
ImageIdRole = Qt.ItemDataRole.UserRole + 2  # the image id (int)

RowFetcher = Callable[[Sequence[int]], list[ImageRow]]
Index = QModelIndex | QPersistentModelIndex


class Column:
    """Column numbers; the 12 dimensions follow LEVEL in tensor order."""

    NAME = 0
    OVERALL = 1
    LEVEL = 2
    PROFILE = 3  # quick or full score
    FIRST_DIMENSION = 4
    FLAG = FIRST_DIMENSION + len(DIMENSIONS)
    STARS = FLAG + 1
    LABEL = STARS + 1  # colour label
    CAPTURED = LABEL + 1
    STATUS = CAPTURED + 1
    COUNT = STATUS + 1


def _two_lines(name: str) -> str:
    """Break a long header at the space nearest its middle (headers may have two lines)."""
    if len(name) < 14 or " " not in name:
        return name
    middle = len(name) / 2
    cut = min((i for i, ch in enumerate(name) if ch == " "), key=lambda i: abs(i - middle))
    return name[:cut] + "\n" + name[cut + 1 :]


HEADERS: list[str] = (
    ["File name", "Overall", "Level", "Profile"]
    + [d.name for d in DIMENSIONS]
    + ["Flag", "Stars", "Label", "Captured", "Status"]
)
# GalleryQuery.sort_key for each column; None: not sortable.
SORT_KEYS: list[str | None] = (
    ["file_name", "overall", "level", None]
    + [d.key for d in DIMENSIONS]
    + [None, "stars", None, "captured_at", "status"]
)

HEADER_HINTS = {
    Column.PROFILE: "Quick: the whole photo scored as one tile (the full score may follow); "
    "Full: the model authors' tiling, up to Max tiles"
}
_NUMERIC_COLUMNS = set(range(Column.OVERALL, Column.FLAG)) - {Column.LEVEL, Column.PROFILE}


def column_for_sort_key(key: str) -> int | None:
    """The column that shows a sort key, if any (to draw the header's sort indicator)."""
    return SORT_KEYS.index(key) if key in SORT_KEYS else None


class GalleryModel(QAbstractTableModel):
    """Table model over image ids. `fetch_rows(ids)` is typically `Library.rows`."""

    sort_requested = Signal(str, bool)  # sort key, descending
    synthetic_changed = Signal(bool)  # whether any loaded row carries a synthetic score
    rows_failed = Signal(str)  # reading rows from the library failed (a sentence for the user)

    def __init__(self, fetch_rows: RowFetcher, thumbnails: Any = None, parent=None) -> None:
        super().__init__(parent)
        self._fetch_rows = fetch_rows
        self._thumbnails = thumbnails  # ThumbnailLoader or None (table-only tests)
        self._ids = np.empty(0, dtype=np.int64)
        self._pages: OrderedDict[int, dict[int, ImageRow]] = OrderedDict()
        self.rows_fetched = 0  # statistics: how many rows were ever loaded
        self.saw_synthetic = False
        # The dimension the gallery is sorted by: grid cells show its value beside the overall.
        self.shown_dimension: str | None = None
        if thumbnails is not None:
            thumbnails.thumbnail_ready.connect(self._on_thumbnails_ready)

    # -- contents ---------------------------------------------------------------------------
    def set_ids(self, ids: Iterable[int] | np.ndarray) -> None:
        """Replace the whole list (a new query result); views reset. An integer array is kept
        as it is (a million ids: no copy), so the caller must not change it afterwards."""
        self.beginResetModel()
        if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu":
            self._ids = ids
        else:
            self._ids = np.fromiter(ids, dtype=np.int64)
        self._pages.clear()
        self.endResetModel()
        if self.saw_synthetic:
            self.saw_synthetic = False
            self.synthetic_changed.emit(False)

    def ids(self) -> np.ndarray:
        """The ordered ids (do not modify)."""
        return self._ids

    def id_at(self, row: int) -> int:
        """The image id shown in `row`."""
        return int(self._ids[row])

    def row_of(self, image_id: int) -> int | None:
        """The row that shows `image_id`, or None when it is not in the current result."""
        # Visible ids sit in cached pages; anything else is one vectorised scan (~0.1 ms at
        # 100k), so no 100k-entry dict is built after every query.
        for number, page in self._pages.items():
            if image_id in page:
                offset = np.flatnonzero(
                    self._ids[number * PAGE_SIZE : (number + 1) * PAGE_SIZE] == image_id
                )
                return number * PAGE_SIZE + int(offset[0])
        hits = np.flatnonzero(self._ids == image_id)
        return int(hits[0]) if hits.size else None

    def rows_of(self, image_ids: Iterable[int]) -> list[int]:
        """The rows showing any of these ids, ascending (one vectorised pass)."""
        wanted = np.fromiter(image_ids, dtype=np.int64)
        if wanted.size == 0:
            return []
        if wanted.size <= 4:
            return sorted(r for r in map(self.row_of, wanted.tolist()) if r is not None)
        return np.flatnonzero(np.isin(self._ids, wanted)).tolist()

    def image_row(self, row: int) -> ImageRow | None:
        """The ImageRow for a row number (fetching its page if needed)."""
        if not 0 <= row < len(self._ids):
            return None
        page = self._page(row // PAGE_SIZE)
        return page.get(int(self._ids[row]))

    def refresh_ids(self, image_ids: Iterable[int]) -> list[int]:
        """Reload the given ids' rows in place (no reset); returns the rows that changed."""
        rows = self.rows_of(set(image_ids))
        cached = [r for r in rows if r // PAGE_SIZE in self._pages]
        if cached:
            fresh = {row.id: row for row in self._fetch_rows([int(self._ids[r]) for r in cached])}
            self.rows_fetched += len(fresh)
            for r in cached:
                page = self._pages[r // PAGE_SIZE]
                image_id = int(self._ids[r])
                if image_id in fresh:
                    page[image_id] = fresh[image_id]
            self._note_synthetic(fresh.values())
        last = self.columnCount() - 1
        for r in rows:
            self.dataChanged.emit(self.index(r, 0), self.index(r, last))
        return rows

    def refresh_cached(self) -> None:
        """Forget every loaded row and repaint (no reset: selection and scroll stay); the
        views fetch the rows they show again, as when scrolling."""
        self._pages.clear()
        if len(self._ids):
            last_row, last_column = len(self._ids) - 1, self.columnCount() - 1
            self.dataChanged.emit(self.index(0, 0), self.index(last_row, last_column))

    def _page(self, number: int) -> dict[int, ImageRow]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        ids = self._ids[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        try:
            page = {row.id: row for row in self._fetch_rows(ids.tolist())}
        except Exception as exc:  # views call this while painting: never raise into Qt
            log.exception("reading gallery rows failed")
            page = {}  # cached empty: the cells show "…" instead of retrying every paint
            self.rows_failed.emit(f"Could not read photos from the library: {exc}")
        self.rows_fetched += len(page)
        self._note_synthetic(page.values())
        self._pages[number] = page
        while len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def _note_synthetic(self, rows: Iterable[ImageRow]) -> None:
        # Any synthetic score on screen must be flagged (the banner listens).
        if not self.saw_synthetic and any(row.synthetic for row in rows):
            self.saw_synthetic = True
            self.synthetic_changed.emit(True)

    def loaded_ids(self) -> list[int]:
        """Ids whose rows are held in memory (what a view can be showing)."""
        return [image_id for page in self._pages.values() for image_id in page]

    @property
    def cached_rows(self) -> int:
        """Rows currently held in memory (bounded by PAGE_SIZE * MAX_CACHED_PAGES)."""
        return sum(len(p) for p in self._pages.values())

    # -- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else Column.COUNT

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < Column.COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _two_lines(HEADERS[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            hint = HEADER_HINTS.get(section, HEADERS[section])
            return hint + ("" if SORT_KEYS[section] else " (not sortable)")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS[column] if 0 <= column < Column.COUNT else None
        if key is not None:
            self.sort_requested.emit(key, order == Qt.SortOrder.DescendingOrder)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == ImageIdRole:
            return int(self._ids[index.row()])
        row = self.image_row(index.row())
        if role == ImageRowRole:
            return row
        if row is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display_text(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            return self._thumbnail(row)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.LABEL:
            return label_color(row.rating.color)  # a swatch beside the colour's name
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.LEVEL and row.level:
            return level_color(row.level)
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.PROFILE:
            return QColor(QUICK_HEX) if row.profile_kind is ProfileKind.QUICK else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _thumbnail(self, row: ImageRow) -> Any:
        if self._thumbnails is None:
            return None
        return self._thumbnails.pixmap(row.id, row.path, row.size, row.mtime)

    def _on_thumbnails_ready(self, image_id: int) -> None:
        row = self.row_of(image_id)
        if row is not None:
            index = self.index(row, Column.NAME)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _display_text(row: ImageRow, column: int) -> str:
    if column == Column.NAME:
        return row.file_name
    if column == Column.OVERALL:
        if row.overall is None:
            return "—"
        return f"{row.overall:.3f}" + (" (synthetic)" if row.synthetic else "")
    if column == Column.LEVEL:
        return row.level or ""
    if column == Column.PROFILE:
        kind = row.profile_kind
        return kind.value.capitalize() if kind is not None else ""
    if Column.FIRST_DIMENSION <= column < Column.FLAG:
        value = (row.dimensions or {}).get(DIMENSIONS[column - Column.FIRST_DIMENSION].key)
        return "—" if value is None else f"{value:.3f}"
    if column == Column.FLAG:
        return flag_text(row.rating.flag)
    if column == Column.STARS:
        return stars_text(row.rating.stars, blank_if_unrated=True)
    if column == Column.LABEL:
        return (row.rating.color or "").capitalize()
    if column == Column.CAPTURED:
        moment = row.captured_at
        return datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
    if column == Column.STATUS:
        return row.status.value
    return ""


def _tooltip(row: ImageRow) -> str:
    lines = [row.path]
    if is_failed(row):
        lines.append(f"Could not be scored: {row.failure_reason or row.status.value}")
    elif row.overall is not None:
        lines.append(f"Overall {row.overall:.3f} ({row.level})")
        if row.max_tiles is not None:
            lines.append(describe_score(row.max_tiles).capitalize())
        if row.synthetic:
            lines.append("Scored by a SYNTHETIC model: the numbers mean nothing.")
    else:
        lines.append(f"Not scored yet ({row.status.value})")
    return "\n".join(lines)


def is_failed(row: ImageRow) -> bool:
    """True when the image cannot be scored (failed or unsupported)."""
    return row.status in (ImageStatus.FAILED, ImageStatus.UNSUPPORTED)
