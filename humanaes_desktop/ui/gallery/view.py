"""The gallery: a thumbnail grid (QListView in icon mode) and a table, sharing one model and
one selection, so switching views keeps the selection and the current photo."""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from humanaes_desktop.ui.gallery.delegate import CELL_SIZE, GalleryDelegate
from humanaes_desktop.ui.gallery.model import Column, GalleryModel, column_for_sort_key

GRID, TABLE = "grid", "table"
TABLE_ICON_SIZE = QSize(32, 22)
_INSET = QPoint(8, 8)  # a point safely inside the first cell, past spacing


class _SmallThumbnailDelegate(QStyledItemDelegate):
    """Table cells show the thumbnail as a small icon beside the file name."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.decorationSize = TABLE_ICON_SIZE


class GalleryView(QStackedWidget):
    """Grid and table over one GalleryModel; emits ids, never indexes.

    The grid lays out a C++ model of empty "slots", one per row of the GalleryModel, so Qt's
    layout never calls Python per cell (at 100,000 cells that was ~650 ms of rowCount and
    columnCount calls holding the GIL against the query threads). The slots are a
    QStandardItemModel whose row count is set in C++ (a QStringListModel needed a list of n
    strings converted from Python: ~250 ms at a million), and a new order with the same count
    leaves them alone: only the cells repaint. The grid is a wrapping list (ListMode, left to
    right), whose layout with uniform cells is ~10x cheaper than icon mode's per-item layout
    (at a million cells ~0.1 s instead of ~1.5 s of batched layout). The delegate maps a
    slot's row to the GalleryModel's row. Each view keeps its own selection; switching views
    carries the selection and the current photo across.
    """

    current_changed = Signal(object)  # image id or None
    selection_changed = Signal()
    activated = Signal(int)  # image id (double click / Enter)
    scrolled = Signal()

    def __init__(self, model: GalleryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.slots = QStandardItemModel(0, 1, self)
        self.grid = self._make_grid(self.slots, model)
        self.table = self._make_table(model)
        self.addWidget(self.grid)
        self.addWidget(self.table)
        for view in (self.grid, self.table):
            selection = view.selectionModel()
            selection.currentChanged.connect(
                lambda current, _previous, v=view: self._on_current_changed(v, current)
            )
            selection.selectionChanged.connect(lambda *_args, v=view: self._on_selection_changed(v))
            view.activated.connect(self._on_activated)
            view.verticalScrollBar().valueChanged.connect(lambda *_: self.scrolled.emit())
        model.modelReset.connect(self._on_model_reset)
        model.dataChanged.connect(self._on_model_data_changed)
        self._on_model_reset()

    @staticmethod
    def _make_grid(slots: QStandardItemModel, model: GalleryModel) -> QListView:
        grid = QListView()
        grid.setObjectName("galleryGrid")
        grid.setViewMode(QListView.ViewMode.ListMode)
        grid.setFlow(QListView.Flow.LeftToRight)
        grid.setWrapping(True)
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setMovement(QListView.Movement.Static)
        grid.setUniformItemSizes(True)  # no per-item size queries: fast layout at 100k
        grid.setLayoutMode(QListView.LayoutMode.Batched)
        grid.setBatchSize(2000)
        grid.setGridSize(CELL_SIZE)
        grid.setSpacing(4)
        grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        grid.setItemDelegate(GalleryDelegate(model, grid))
        grid.setModel(slots)
        return grid

    def _on_model_reset(self) -> None:
        count = self.model.rowCount()
        if self.slots.rowCount() != count:
            self.slots.setRowCount(count)
        # Like the reset it stands for: the old rows' selection means nothing in the new order.
        self.grid.selectionModel().reset()
        self.grid.viewport().update()

    def _on_model_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, *_):
        if self.mode != GRID:
            return  # the table repaints from the model's own signal
        first, last = top_left.row(), bottom_right.row()
        if last - first > 500:
            self.grid.viewport().update()
            return
        for row in range(first, last + 1):
            self.grid.update(self.slots.index(row, 0))

    @staticmethod
    def _make_table(model: GalleryModel) -> QTableView:
        table = QTableView()
        table.setObjectName("galleryTable")
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setSortingEnabled(False)  # sorting is a query; the header click is wired below
        header = table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(90)
        header.resizeSection(Column.NAME, 220)
        header.resizeSection(Column.OVERALL, 130)  # room for "0.812 (synthetic)"
        # Culling columns sit beside the score, not after twelve dimensions (visual order only:
        # the model's column numbers stay as they are).
        for visual, column in enumerate((Column.FLAG, Column.STARS, Column.LABEL), start=4):
            header.moveSection(header.visualIndex(column), visual)
        header.resizeSection(Column.PROFILE, 64)
        header.resizeSection(Column.FLAG, 70)
        header.resizeSection(Column.LABEL, 96)
        table.setItemDelegateForColumn(Column.NAME, _SmallThumbnailDelegate(table))
        header.sortIndicatorChanged.connect(
            lambda column, order: model.sort(column, Qt.SortOrder(order))
        )
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(24)  # uniform rows: no per-row size queries
        table.setWordWrap(False)
        return table

    # -- mode -------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """ "grid" or "table"."""
        return GRID if self.currentWidget() is self.grid else TABLE

    def set_mode(self, mode: str) -> None:
        """Switch between the grid and the table, keeping the current photo in view."""
        if mode not in (GRID, TABLE):
            raise ValueError(f"unknown gallery mode {mode!r}")
        if mode == self.mode:
            return
        rows, current = self.selected_rows(), self.current_id()
        self.setCurrentWidget(self.grid if mode == GRID else self.table)
        self._select_rows(rows, self.model.row_of(current) if current is not None else None)
        if current is not None:
            self.scroll_to_id(current)

    def current_view(self) -> QAbstractItemView:
        """The visible view (grid or table)."""
        return self.grid if self.mode == GRID else self.table

    def show_sort_indicator(self, key: str, descending: bool) -> None:
        """Reflect the query's sort in the table header without triggering a new sort."""
        header = self.table.horizontalHeader()
        column = column_for_sort_key(key)
        header.blockSignals(True)
        if column is None:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(column, order)
        header.blockSignals(False)

    # -- selection by id --------------------------------------------------------------------
    def selection_model(self) -> QItemSelectionModel:
        """The visible view's selection model."""
        return self.current_view().selectionModel()

    def _view_index(self, row: int) -> QModelIndex:
        """The index of GalleryModel row `row` in the visible view's model."""
        if self.mode == GRID:
            return self.slots.index(row, 0)
        return self.model.index(row, 0)

    def current_id(self) -> int | None:
        """The id of the current (focused) photo."""
        index = self.selection_model().currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def selected_rows(self) -> list[int]:
        """Selected row numbers, ascending (from the selection's ranges, not per-cell indexes)."""
        rows: set[int] = set()
        for selected in self.selection_model().selection():
            rows.update(range(selected.top(), selected.bottom() + 1))
        return sorted(rows)

    def selected_ids(self) -> list[int]:
        """Selected ids in display order."""
        ids = self.model.ids()
        return [int(ids[r]) for r in self.selected_rows()]

    def select_ids(self, ids: list[int], current: int | None = None) -> None:
        """Select these ids (those still shown) and make `current` the current photo."""
        current_row = self.model.row_of(current) if current is not None else None
        self._select_rows(self.model.rows_of(ids), current_row)

    def _select_rows(self, rows: list[int], current_row: int | None) -> None:
        view_model = self.current_view().model()
        last = 0 if self.mode == GRID else Column.COUNT - 1  # slots have one column
        selection = QItemSelection()
        for first, final in _runs(rows):  # contiguous rows: one range
            selection.select(view_model.index(first, 0), view_model.index(final, last))
        flags = QItemSelectionModel.SelectionFlag
        model = self.selection_model()
        if current_row is not None:
            model.setCurrentIndex(view_model.index(current_row, 0), flags.NoUpdate)
        model.select(selection, flags.ClearAndSelect)

    def first_visible_id(self) -> int | None:
        """The id at the top-left of the viewport (the scroll anchor)."""
        view = self.current_view()
        index = view.indexAt(view.viewport().rect().topLeft() + _INSET)
        return self.model.id_at(index.row()) if index.isValid() else None

    def scroll_to_id(self, image_id: int, at_top: bool = False) -> None:
        """Bring a photo into view (at the top when restoring a scroll anchor)."""
        row = self.model.row_of(image_id)
        if row is None:
            return
        hint = (
            QAbstractItemView.ScrollHint.PositionAtTop
            if at_top
            else QAbstractItemView.ScrollHint.EnsureVisible
        )
        self.current_view().scrollTo(self._view_index(row), hint)

    def visible_rows(self) -> range:
        """Rows whose cells intersect the viewport (for screenshots and benchmarks)."""
        view = self.current_view()
        rect = view.viewport().rect()
        first = view.indexAt(rect.topLeft() + _INSET)
        if not first.isValid():
            return range(0)
        end = first.row()
        # Rows are laid out in order, so walk forward until a cell starts below the viewport.
        while end + 1 < self.model.rowCount():
            cell = view.visualRect(self._view_index(end + 1))
            if cell.top() > rect.bottom():
                break
            end += 1
        return range(first.row(), end + 1)

    def _on_current_changed(self, view: QAbstractItemView, current: QModelIndex) -> None:
        if view is not self.current_view():
            return  # the hidden view's selection follows only on a switch
        valid = current.isValid() and current.row() < self.model.rowCount()
        self.current_changed.emit(self.model.id_at(current.row()) if valid else None)

    def _on_selection_changed(self, view: QAbstractItemView) -> None:
        if view is self.current_view():
            self.selection_changed.emit()

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < self.model.rowCount():
            self.activated.emit(self.model.id_at(index.row()))


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending rows grouped into (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
