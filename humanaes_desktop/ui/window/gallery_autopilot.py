"""Keyboard-first defaults that step aside as soon as the user makes a choice.

Until the user selects a photo (or rates one), the gallery keeps its best photo selected after
every query, so arrows, P/X, 0-9 and Space work from the first second; and when scoring finishes
the gallery re-sorts itself by the new scores. Once the user has chosen a photo their place is
never moved: rows stay put and F5 re-sorts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QLineEdit

if TYPE_CHECKING:
    from humanaes_desktop.ui.window.main_window import MainWindow


class GalleryAutopilot(QObject):
    """Selects the first photo and re-sorts at the end of scoring, until the user takes over."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._auto_id: int | None = None  # the photo selected for the user
        self._user_chose = False
        self._focused_once = False
        window.controller.results_applied.connect(self._on_controller_results_applied)
        window.gallery.selection_changed.connect(self._on_gallery_selection_changed)
        window.client.ratings_changed.connect(self._on_client_ratings_changed)

    @property
    def user_has_chosen(self) -> bool:
        """True once the user selected a photo of their own or rated one."""
        return self._user_chose

    def scoring_finished(self) -> None:
        """The queue drained: put the photos in score order unless the user is at work."""
        controller = self._window.controller
        if controller.stale_order and not self._user_chose:
            controller.refresh()

    def _on_controller_results_applied(self, count: int) -> None:
        w = self._window
        if not count or self._user_chose or w.pages.currentWidget() is w.compare_view:
            return
        first = w.model.id_at(0)
        self._auto_id = first  # before selecting: the selection signal must recognise it
        w.gallery.select_ids([first], current=first)
        w.gallery.scroll_to_id(first)
        if not self._focused_once and not isinstance(QApplication.focusWidget(), QLineEdit):
            self._focused_once = True  # at start the arrows belong to the gallery, once
            w.gallery.current_view().setFocus()

    def _on_gallery_selection_changed(self) -> None:
        selected = self._window.gallery.selected_ids()
        # An empty selection is what a model reset leaves behind, not a choice.
        if selected and selected != [self._auto_id]:
            self._user_chose = True

    def _on_client_ratings_changed(self, _ids: list[int]) -> None:
        self._user_chose = True  # culling has begun: nothing moves on its own any more
