"""What the main window's culling actions do (the CullingTarget of `culling.py`).

Ratings go to the library's writer thread at once; the row repaints when the write has
committed, so what the user sees is what is on disk.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QMessageBox

from humanaes_desktop.library.records import Flag, GalleryQuery
from humanaes_desktop.ui.dialogs.best_of import BestOfDialog

if TYPE_CHECKING:
    from humanaes_desktop.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)

COMPARE_MIN, COMPARE_MAX = 2, 4


class WindowCommands:
    """Implements the culling commands against a MainWindow."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._preview = None
        window.client.ratings_changed.connect(self._on_client_ratings_changed)

    # -- ratings ----------------------------------------------------------------------------
    def _targets(self) -> list[int]:
        ids = self.window.gallery.selected_ids()
        current = self.window.gallery.current_id()
        return ids or ([current] if current is not None else [])

    def flag_selection(self, flag: Flag) -> None:
        """Pick, reject or unflag the selected photos."""
        self.window.client.set_rating(self._targets(), flag=flag)

    def rate_selection(self, stars: int) -> None:
        """Give the selected photos 0-5 stars."""
        self.window.client.set_rating(self._targets(), stars=stars)

    def label_selection(self, color: str) -> None:
        """Give the selected photos a colour label ("" removes it).

        As in Lightroom, the current photo's own colour toggles the label off again.
        """
        gallery = self.window.gallery
        current = gallery.current_id()
        row_number = gallery.model.row_of(current) if current is not None else None
        row = gallery.model.image_row(row_number) if row_number is not None else None
        if color and row is not None and row.rating.color == color:
            color = ""
        self.window.client.set_rating(self._targets(), color=color)

    # -- views ------------------------------------------------------------------------------
    def select_all(self) -> None:
        self.window.gallery.current_view().selectAll()

    def focus_name_filter(self) -> None:
        self.window.filter_bar.focus_name_filter()

    def show_grid(self) -> None:
        self._leave_compare()
        self.window.gallery.set_mode("grid")

    def show_table(self) -> None:
        self._leave_compare()
        self.window.gallery.set_mode("table")

    def _leave_compare(self) -> None:
        w = self.window
        if w.pages.currentWidget() is w.compare_view:
            w.pages.setCurrentWidget(w.gallery)
            w.detail_panel.setVisible(True)
            w.gallery.current_view().setFocus()

    def toggle_compare(self) -> None:
        """Show 2-4 selected photos side by side, or go back to the gallery."""
        w = self.window
        if w.pages.currentWidget() is w.compare_view:
            self._leave_compare()
            return
        ids = w.gallery.selected_ids()
        if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
            w.status.showMessage(
                f"Select {COMPARE_MIN} to {COMPARE_MAX} photos to compare ({len(ids)} selected).",
                5000,
            )
            return
        details = [d for d in (w.client.detail(i) for i in ids) if d is not None]
        w.compare_view.show_details(details)
        w.pages.setCurrentWidget(w.compare_view)
        w.detail_panel.setVisible(False)  # the comparison shows every breakdown: give it room

    def _on_client_ratings_changed(self, ids: list[int]) -> None:
        w = self.window
        current = w.gallery.current_id()
        if self._preview is not None and self._preview.isVisible() and current in ids:
            rows = w.client.rows([current])
            if rows:  # the caption says at once what P, X, 0-5 or 6-9 did
                self._preview.set_caption(_caption(rows[0]))
        if w.pages.currentWidget() is not w.compare_view or not hasattr(w.compare_view, "details"):
            return
        compared = {d.row.id for d in w.compare_view.details()}
        changed = [i for i in ids if i in compared]
        if changed:
            w.compare_view.update_ratings(w.client.rows(changed))

    def preview_current(self) -> None:
        """Full-screen preview of the current photo (Space); arrows and culling keys work there."""
        image_id = self.window.gallery.current_id()
        if image_id is None:
            return
        rows = self.window.client.rows([image_id])
        if not rows:
            return
        if self._preview is None:
            try:
                from humanaes_desktop.ui.window.preview_window import FullScreenPreview
            except ImportError:
                self.window.status.showMessage("Full-screen preview is not available.", 5000)
                return
            self._preview = FullScreenPreview()
            actions = self.window.actions
            self._preview.addActions(actions.rating_actions() + actions.label_actions())
            self._preview.navigate.connect(self._on_preview_navigate)
        self._preview.show_image(rows[0].path, caption=_caption(rows[0]))

    @property
    def preview(self):
        """The full-screen preview window, once opened."""
        return self._preview

    def _on_preview_navigate(self, step: int) -> None:
        gallery = self.window.gallery
        current = gallery.current_id()
        row = gallery.model.row_of(current) if current is not None else None
        if row is None:
            return
        target = min(max(row + step, 0), gallery.model.rowCount() - 1)
        target_id = gallery.model.id_at(target)
        gallery.select_ids([target_id], current=target_id)
        gallery.scroll_to_id(target_id)
        self.preview_current()

    def close_preview(self) -> None:
        if self._preview is not None:
            self._preview.close()

    def refresh_gallery(self) -> None:
        """Re-run the query (F5): re-sorts by the newest scores."""
        self.window.controller.refresh()
        self.window.reload_folders()

    # -- scoring, best-of, export -----------------------------------------------------------
    def score_selection_now(self) -> None:
        """Queue the selection at high priority; the worker takes it next."""
        ids = self._targets()
        if ids:
            self.window.client.request_scoring(ids)
            # Honest about what happens: scoring is deterministic, so a photo that already has a
            # score from this model and these settings is not computed again.
            self.window.status.showMessage(
                f"{len(ids)} photo(s) moved to the front of the queue; any already scored with "
                "the current model and settings keep their score.",
                8000,
            )

    def best_of_folder(self) -> None:
        """Select the top N of the current folder by overall or a chosen dimension."""
        w = self.window
        folder_id = w.controller.query.folder_id
        name = "all photos" if folder_id is None else _folder_name(w, folder_id)
        dialog = BestOfDialog(name, w)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        count, key = dialog.choice()
        w.client.top_n(count, key, folder_id, lambda ids: self._show_best(ids, key))

    def _show_best(self, ids: list[int], key: str) -> None:
        w = self.window
        if not ids:
            w.status.showMessage("No scored photos here yet.", 5000)
            return
        w.filter_bar.set_sort(key, True, emit=False)  # best first
        w.gallery.show_sort_indicator(key, True)
        w.controller.set_query(replace(w.controller.query, sort_key=key, descending=True), ids)
        w.status.showMessage(f"Selected the best {len(ids)} by {key.replace('_', ' ')}.", 5000)

    def export_picks(self) -> None:
        """Copy the picked photos of the current folder to a folder the user chooses."""
        w = self.window
        query = GalleryQuery(
            sort_key="overall",
            flags=frozenset({Flag.PICKED}),
            folder_id=w.controller.query.folder_id,
        )
        w.client.query_ids(query, self._export_ids)

    def _export_ids(self, ids: list[int]) -> None:
        w = self.window
        if not ids:
            QMessageBox.information(w, "Export picks", "No picked photos here — press P to pick.")
            return
        paths = [row.path for row in w.client.rows(ids)]
        try:
            from humanaes_desktop.ui.dialogs.export_picks import ExportPicksDialog
        except ImportError:
            w.status.showMessage("Exporting is not available in this build.", 5000)
            return
        ExportPicksDialog(paths, w).exec()


def _caption(row) -> str:
    """The preview's caption: "IMG_0042.jpg · 0.71 good (synthetic) · ★★★"."""
    parts = [row.file_name]
    if row.overall is not None:
        parts.append(f"{row.overall:.2f} {row.level}" + (" (synthetic)" if row.synthetic else ""))
    if row.rating.stars:
        parts.append("★" * row.rating.stars)
    if row.rating.flag == Flag.PICKED:
        parts.append("Picked")
    elif row.rating.flag == Flag.REJECTED:
        parts.append("Rejected")
    if row.rating.color:
        parts.append(f"{row.rating.color.capitalize()} label")
    return " · ".join(parts)


def _folder_name(window: MainWindow, folder_id: int) -> str:
    folder = window.sidebar.folder(folder_id)
    return os.path.basename(folder.path.rstrip(os.sep)) if folder else "this folder"
