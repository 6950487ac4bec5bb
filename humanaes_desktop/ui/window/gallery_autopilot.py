"""Keyboard-first defaults that step aside as soon as the user makes a choice.

Until the user selects a photo (or rates one), the gallery keeps its best photo selected after
every query, so arrows, P/X, 0-9 and Space work from the first second; and when scoring finishes
the gallery re-sorts itself by the new scores. Once the user has chosen a photo their place is
never moved: rows stay put and F5 re-sorts.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QLineEdit

from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.gallery.controller import GalleryController
from humanaes_desktop.ui.window.center_pages import CenterPages


class GalleryAutopilot(QObject):
    """Selects the first photo and re-sorts at the end of scoring, until the user takes over."""

    def __init__(
        self,
        controller: GalleryController,
        pages: CenterPages,
        client: LibraryClient,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller, self._pages, self._gallery = controller, pages, pages.gallery
        self._auto_id: int | None = None  # the photo selected for the user
        self._user_chose = False
        self._focused_once = False
        controller.results_applied.connect(self._on_controller_results_applied)
        self._gallery.selection_changed.connect(self._on_gallery_selection_changed)
        client.ratings_changed.connect(self._on_client_ratings_changed)

    @property
    def user_has_chosen(self) -> bool:
        """True once the user selected a photo of their own or rated one."""
        return self._user_chose

    def scoring_finished(self) -> None:
        """The queue drained: put the photos in score order unless the user is at work."""
        if self._controller.stale_order and not self._user_chose:
            self._controller.refresh()

    def _on_controller_results_applied(self, count: int) -> None:
        if not count or self._user_chose or self._pages.is_comparing:
            return
        gallery = self._gallery
        first = gallery.model.id_at(0)
        self._auto_id = first  # before selecting: the selection signal must recognise it
        gallery.select_ids([first], current=first)
        gallery.scroll_to_id(first)
        if not self._focused_once and not isinstance(QApplication.focusWidget(), QLineEdit):
            self._focused_once = True  # at start the arrows belong to the gallery, once
            gallery.current_view().setFocus()

    def _on_gallery_selection_changed(self) -> None:
        selected = self._gallery.selected_ids()
        # An empty selection is what a model reset leaves behind, not a choice.
        if selected and selected != [self._auto_id]:
            self._user_chose = True

    def _on_client_ratings_changed(self, _ids: list[int]) -> None:
        self._user_chose = True  # culling has begun: nothing moves on its own any more
