"""Keeps the gallery in step with the library: queries, selection-preserving resets, live rows.

A new query (sort, filter, folder) runs off the GUI thread; its result replaces the model's ids
and the selection, current photo and scroll anchor are restored where those ids still exist.
Stale results (a newer query was issued meanwhile) are dropped by a LatestRequest. While the
gallery arrays load (a large library's first seconds) a result may be only its first page; the
query runs again, keeping the selection and scroll, once they are loaded.

Live scores update rows in place and never re-sort on their own: a row that jumped away while
the user is culling would lose their place. When the current sort depends on scores, the filter
bar says that new scores arrived and F5 re-sorts (keeping the selection).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.records import GalleryIds, GalleryQuery
from humanaes_desktop.pipeline.events import AssessmentStored, ImageFailed
from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.background.tasks import LatestRequest
from humanaes_desktop.ui.gallery.model import GalleryModel
from humanaes_desktop.ui.gallery.view import GalleryView

log = logging.getLogger(__name__)

_SCORE_INDEPENDENT_SORTS = {"file_name", "captured_at", "mtime", "stars"}
MIX_REFRESH_MS = 1000


class GalleryController(QObject):
    """Owns the current GalleryQuery and applies results to the model and view."""

    results_applied = Signal(int)  # number of photos now shown
    current_row_refreshed = Signal(int)  # the current photo's row was reloaded (new score)
    refreshed_in_place = Signal(bool)  # rows reloaded without a re-sort; True: order is stale
    profile_mix_changed = Signal(object)  # ProfileMix of the list shown: quick and full scores

    def __init__(
        self,
        client: LibraryClient,
        model: GalleryModel,
        view: GalleryView,
        thumbnails=None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.client, self.model, self.view = client, model, view
        self._thumbnails = thumbnails
        self.query = GalleryQuery()
        self._latest_query = LatestRequest()
        self._select_after: list[int] | None = None
        self.stale_order = False  # scores changed since the last sort
        self.queries_run = 0
        self._latest_mix = LatestRequest()
        # Live scores change the mix one photo at a time: count again at most once a second.
        self._mix_timer = QTimer(self, singleShot=True, interval=MIX_REFRESH_MS)
        self._mix_timer.timeout.connect(self.refresh_profile_mix)
        self.showing_first_page = False  # the result shown is a first page from SQL
        client.ratings_changed.connect(self.refresh_rows)
        client.arrays_ready.connect(self._on_client_arrays_ready)
        if thumbnails is not None:
            view.scrolled.connect(thumbnails.new_generation)

    def set_query(self, query: GalleryQuery, select_ids: list[int] | None = None) -> None:
        """Run `query`; when it lands, select `select_ids` (or keep the current selection)."""
        self.query = query
        self._select_after = select_ids
        # An older query's answer is dropped: a newer one is on its way.
        self.client.gallery_ids(query, self._latest_query.only_latest(self._apply))

    def update_query(self, **changes) -> None:
        """Change some fields of the current query (folder, sort…) and run it."""
        self.set_query(replace(self.query, **changes))

    def refresh(self) -> None:
        """Re-run the current query (F5): re-sorts by the newest scores, keeps the selection."""
        self.set_query(self.query)

    def _on_client_arrays_ready(self) -> None:
        if self.showing_first_page:
            self.refresh()  # the whole answer, where the first page was

    def _apply(self, result: GalleryIds) -> None:
        ids = result.ids
        self.showing_first_page = not result.complete
        self.queries_run += 1
        selected = self._select_after
        if selected is None:
            selected = self.view.selected_ids()
        current = self.view.current_id()
        if self._select_after:
            current = self._select_after[0]
        anchor = self.view.first_visible_id()
        # Sorted by a dimension, the cells show its value: the order must be explainable.
        key = self.query.sort_key
        self.model.shown_dimension = key if key in DIMENSION_KEYS else None
        self.model.set_ids(ids)
        if self._thumbnails is not None:
            self._thumbnails.new_generation()
        self.view.select_ids(selected, current)
        self._restore_scroll(anchor, current)
        self._select_after = None
        self.stale_order = False
        self.results_applied.emit(len(ids))
        self.refresh_profile_mix()

    def refresh_profile_mix(self) -> None:
        """Count the quick and full scores of the list shown (off the GUI thread)."""
        self.client.profile_mix(self.query, self._latest_mix.only_latest(self._on_mix_counted))

    def _on_mix_counted(self, mix) -> None:
        self.profile_mix_changed.emit(mix)

    def _restore_scroll(self, anchor: int | None, current: int | None) -> None:
        if anchor is not None and self.model.row_of(anchor) is not None:
            self.view.scroll_to_id(anchor, at_top=True)
        if current is not None and self.model.row_of(current) is not None:
            self.view.scroll_to_id(current)  # no-op when already visible

    def refresh_from_elsewhere(self) -> None:
        """Another process changed the library: photos it added or removed re-run the query
        (selection and scroll kept); otherwise the rows update in place and, as for live
        scores, re-sorting waits for the user (F5)."""
        self.client.gallery_ids(self.query, self._latest_query.only_latest(self._apply_elsewhere))

    def _apply_elsewhere(self, result: GalleryIds) -> None:
        ids, shown = result.ids, self.model.ids()
        if len(ids) != len(shown) or not np.array_equal(np.sort(ids), np.sort(shown)):
            self._apply(result)
            return
        current = self.view.current_id()
        before = self._row_of_id(current)
        self.model.refresh_cached()
        if current is not None and self._row_of_id(current) != before:
            self.current_row_refreshed.emit(current)
        if not np.array_equal(ids, shown):
            self.stale_order = True
        self.refreshed_in_place.emit(self.stale_order)
        self.refresh_profile_mix()  # the other process may have stored full scores

    def _row_of_id(self, image_id: int | None):
        row = None if image_id is None else self.model.row_of(image_id)
        return None if row is None else self.model.image_row(row)

    # -- live updates -----------------------------------------------------------------------
    def refresh_rows(self, ids: list[int]) -> None:
        """Reload these rows in place (ratings written, scores stored)."""
        self.model.refresh_ids(ids)
        self.client.sync_gallery_arrays()
        current = self.view.current_id()
        if current is not None and current in ids:
            self.current_row_refreshed.emit(current)

    def on_assessment_stored(self, event: AssessmentStored) -> None:
        """A new score: update the row in place; re-sorting waits for the user (F5)."""
        self.refresh_rows([event.image_id])
        if self.query.sort_key not in _SCORE_INDEPENDENT_SORTS or self.query.levels:
            self.stale_order = True
        if not self._mix_timer.isActive():
            self._mix_timer.start()

    def on_culling_changed(self) -> None:
        """New first-pass marks or groups: update the loaded rows in place, or re-query when
        the rows shown depend on them (a marks filter, stacked bursts)."""
        if self.query.marks or self.query.best_of_bursts:
            self.refresh()
        else:
            self.refresh_rows(self.model.loaded_ids())

    def on_image_failed(self, event: ImageFailed) -> None:
        """A failure: show the mark in place."""
        self.refresh_rows([event.image_id])
