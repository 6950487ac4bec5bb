"""What the main window's culling actions do (the CullingTarget of `culling.py`).

Ratings go to the library's writer thread at once; the row repaints when the write has
committed, so what the user sees is what is on disk. The commands are handed a CommandContext,
the few parts of the window they act on, not the window itself.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from humanaes_desktop.library.records import Flag, GalleryQuery, ImageRow
from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.dialogs.best_of import BestOfDialog
from humanaes_desktop.ui.dialogs.export_picks import ExportPicksDialog
from humanaes_desktop.ui.gallery.controller import GalleryController
from humanaes_desktop.ui.gallery.filter_bar import FilterBar
from humanaes_desktop.ui.gallery.view import GalleryView
from humanaes_desktop.ui.window.center_pages import CenterPages
from humanaes_desktop.ui.window.preview_window import FullScreenPreview
from humanaes_desktop.wording import color_label_text, flag_text, stars_text

log = logging.getLogger(__name__)

COMPARE_MIN, COMPARE_MAX = 2, 9


class CommandContext(Protocol):
    """The parts of the window the commands may touch (MainWindow provides them)."""

    client: LibraryClient
    gallery: GalleryView
    controller: GalleryController
    pages: CenterPages
    filter_bar: FilterBar

    def show_message(self, text: str, timeout_ms: int) -> None:
        """A short line in the status bar."""

    def reload_folders(self) -> None:
        """Refresh the sidebar's folders and counts."""

    def folder_name(self, folder_id: int) -> str:
        """The folder's name as the sidebar shows it."""

    def dialog_parent(self) -> QWidget:
        """The widget the commands' dialogs belong to."""

    def culling_shortcuts(self) -> list[QAction]:
        """The rating and label actions, so they work in the full-screen preview too."""


class WindowCommands:
    """Implements the culling commands against a CommandContext."""

    def __init__(self, context: CommandContext) -> None:
        self._context = context
        self._preview = None
        context.client.ratings_changed.connect(self._on_client_ratings_changed)

    # -- ratings ----------------------------------------------------------------------------
    def _targets(self) -> list[int]:
        ids = self._context.gallery.selected_ids()
        current = self._context.gallery.current_id()
        return ids or ([current] if current is not None else [])

    def flag_selection(self, flag: Flag) -> None:
        """Pick, reject or unflag the selected photos."""
        self._context.client.set_rating(self._targets(), flag=flag)

    def rate_selection(self, stars: int) -> None:
        """Give the selected photos 0-5 stars."""
        self._context.client.set_rating(self._targets(), stars=stars)

    def label_selection(self, color: str) -> None:
        """Give the selected photos a colour label ("" removes it).

        As in Lightroom, the current photo's own colour toggles the label off again.
        """
        gallery = self._context.gallery
        current = gallery.current_id()
        row_number = gallery.model.row_of(current) if current is not None else None
        row = gallery.model.image_row(row_number) if row_number is not None else None
        if color and row is not None and row.rating.color == color:
            color = ""
        self._context.client.set_rating(self._targets(), color=color)

    # -- views ------------------------------------------------------------------------------
    def select_all(self) -> None:
        self._context.gallery.current_view().selectAll()

    def focus_name_filter(self) -> None:
        self._context.filter_bar.focus_name_filter()

    def show_grid(self) -> None:
        self._leave_compare()
        self._context.gallery.set_mode("grid")

    def show_table(self) -> None:
        self._leave_compare()
        self._context.gallery.set_mode("table")

    def _leave_compare(self) -> None:
        if self._context.pages.is_comparing:
            self._context.pages.show_gallery()

    def toggle_compare(self) -> None:
        """Show 2-9 selected photos side by side (one photo of a burst: its burst), or go
        back to the gallery."""
        w = self._context
        if w.pages.is_comparing:
            self._leave_compare()
            return
        ids = w.gallery.selected_ids()
        if len(ids) <= 1:
            ids = self._burst_of_current() or ids
        if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
            w.show_message(
                f"Select {COMPARE_MIN} to {COMPARE_MAX} photos to compare ({len(ids)} selected).",
                5000,
            )
            return
        details = [d for d in (w.client.detail(i) for i in ids) if d is not None]
        w.pages.show_compare(details)

    def _burst_of_current(self) -> list[int]:
        """The current photo's burst or set (suggested pick first, at most COMPARE_MAX)."""
        current = self._context.gallery.current_id()
        group = self._context.client.group_of(current) if current is not None else None
        if group is None:
            return []
        members = sorted(group.members, key=lambda m: (not m.is_pick, m.position))
        return [m.image_id for m in members][:COMPARE_MAX]

    # -- culling: suggested picks -------------------------------------------------------------
    def accept_suggested_picks(self) -> None:
        """Flag the suggested frame of every burst in this folder as picked (one batch)."""
        w = self._context
        w.client.accept_suggested_picks(w.controller.query.folder_id, self._accepted)

    def _accepted(self, previous: dict) -> None:
        self._undo_flags = previous
        if not previous:
            self._context.show_message("No bursts here, so no suggested picks.", 5000)
            return
        self._context.show_message(
            f"Picked the suggested frame of {len(previous)} burst(s); nothing was rejected. "
            "Ctrl+Z undoes it.",
            8000,
        )

    def undo_accept_picks(self) -> None:
        """Put back the flags the last "Accept the suggested picks" changed."""
        previous = getattr(self, "_undo_flags", None)
        if not previous:
            self._context.show_message("Nothing to undo.", 3000)
            return
        self._undo_flags = None
        self._context.client.restore_flags(previous)
        self._context.show_message(f"Undone: {len(previous)} flag(s) restored.", 5000)

    def _on_client_ratings_changed(self, ids: list[int]) -> None:
        w = self._context
        current = w.gallery.current_id()
        if self._preview is not None and self._preview.isVisible() and current in ids:
            rows = w.client.rows([current])
            if rows:  # the caption says at once what P, X, 0-5 or 6-9 did
                self._preview.set_caption(_caption(rows[0]))
        if not w.pages.is_comparing:
            return
        compared = {d.row.id for d in w.pages.compare_view.details()}
        changed = [i for i in ids if i in compared]
        if changed:
            w.pages.compare_view.update_ratings(w.client.rows(changed))

    def preview_current(self) -> None:
        """Full-screen preview of the current photo (Space); arrows and culling keys work there."""
        image_id = self._context.gallery.current_id()
        if image_id is None:
            return
        rows = self._context.client.rows([image_id])
        if not rows:
            return
        if self._preview is None:
            self._preview = FullScreenPreview()
            self._preview.addActions(self._context.culling_shortcuts())
            self._preview.navigate.connect(self._on_preview_navigate)
        self._preview.show_image(rows[0].path, caption=_caption(rows[0]))

    @property
    def preview(self):
        """The full-screen preview window, once opened."""
        return self._preview

    def _on_preview_navigate(self, step: int) -> None:
        gallery = self._context.gallery
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
        self._context.controller.refresh()
        self._context.reload_folders()

    # -- scoring, best-of, export -----------------------------------------------------------
    def score_selection_now(self) -> None:
        """Queue the selection at high priority; the worker takes it next."""
        ids = self._targets()
        if ids:
            self._context.client.request_scoring(
                ids, on_done=lambda queued: self._report_queued(len(ids), len(queued))
            )

    def _report_queued(self, asked: int, queued: int) -> None:
        # Honest about what happens: scoring is deterministic, so a photo that already has a
        # score from this model and these settings is not computed again; and a missing or
        # unsupported file cannot be queued at all.
        moved = f"{queued} photo(s)" if queued == asked else f"{queued} of {asked} photos"
        text = f"{moved} moved to the front of the queue"
        if queued < asked:
            text += f"; {asked - queued} could not be (missing or unsupported files)"
        if queued:
            text += "; any already scored with the current model and settings keep their score"
        self._context.show_message(text + ".", 8000)

    def best_of_folder(self) -> None:
        """Select the top N of the current folder by overall or a chosen dimension."""
        w = self._context
        folder_id = w.controller.query.folder_id
        name = "all photos" if folder_id is None else w.folder_name(folder_id)
        dialog = BestOfDialog(name, w.dialog_parent())
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        count, key = dialog.choice()
        w.client.top_n(count, key, folder_id, lambda ids: self._show_best(ids, key))

    def _show_best(self, ids: list[int], key: str) -> None:
        w = self._context
        if not ids:
            w.show_message("No scored photos here yet.", 5000)
            return
        w.filter_bar.set_sort(key, True, emit=False)  # best first
        w.gallery.show_sort_indicator(key, True)
        w.controller.set_query(replace(w.controller.query, sort_key=key, descending=True), ids)
        w.show_message(f"Selected the best {len(ids)} by {key.replace('_', ' ')}.", 5000)

    def export_picks(self) -> None:
        """Copy the picked photos of the current folder to a folder the user chooses."""
        w = self._context
        query = GalleryQuery(
            sort_key="overall",
            flags=frozenset({Flag.PICKED}),
            folder_id=w.controller.query.folder_id,
        )
        w.client.query_ids(query, self._export_ids)

    def _export_ids(self, ids: list[int]) -> None:
        w = self._context
        if not ids:
            QMessageBox.information(
                w.dialog_parent(), "Export picks", "No picked photos here — press P to pick."
            )
            return
        paths = [row.path for row in w.client.rows(ids)]
        ExportPicksDialog(paths, w.dialog_parent()).exec()


def _caption(row: ImageRow) -> str:
    """The preview's caption: "IMG_0042.jpg · 0.71 good (synthetic) · ★★★☆☆ · Picked"."""
    parts = [row.file_name]
    if row.overall is not None:
        parts.append(f"{row.overall:.2f} {row.level}" + (" (synthetic)" if row.synthetic else ""))
    rating = row.rating
    parts += [
        stars_text(rating.stars, blank_if_unrated=True),
        flag_text(rating.flag),
        color_label_text(rating.color),
    ]
    return " · ".join(part for part in parts if part)
