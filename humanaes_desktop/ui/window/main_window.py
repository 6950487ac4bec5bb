"""The main window: folders on the left, the gallery in the middle, the breakdown on the right.

It only composes and wires widgets; the library is reached through LibraryClient (writes on its
writer thread), the worker through a small control interface, and worker events through the
WorkerBridge's queued signals. Culling commands live in `culling.py` (the actions) and
`commands.py` (what they do, against the small CommandContext this window provides); the centre
pages (gallery, comparison, empty state) are a CenterPages.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.library.records import FolderRecord, GalleryQuery
from humanaes_desktop.pipeline.events import WorkerState
from humanaes_desktop.ui.background.elsewhere import WritesElsewhere
from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.background.sidecar_client import SidecarClient
from humanaes_desktop.ui.background.tasks import LatestRequest
from humanaes_desktop.ui.background.taste_client import TasteClient
from humanaes_desktop.ui.breakdown.detail_panel import DetailPanel
from humanaes_desktop.ui.gallery.controller import GalleryController
from humanaes_desktop.ui.gallery.filter_bar import FilterBar
from humanaes_desktop.ui.gallery.model import GalleryModel
from humanaes_desktop.ui.gallery.view import GalleryView
from humanaes_desktop.ui.window.center_pages import CenterPages
from humanaes_desktop.ui.window.commands import WindowCommands
from humanaes_desktop.ui.window.culling import CullingActions
from humanaes_desktop.ui.window.gallery_autopilot import GalleryAutopilot
from humanaes_desktop.ui.window.sidebar import Sidebar
from humanaes_desktop.ui.window.sidecar_sync import SidecarSync
from humanaes_desktop.ui.window.status_bar import ScoringStatusBar
from humanaes_desktop.ui.window.synthetic_banner import SyntheticBanner
from humanaes_desktop.ui.window.taste_wiring import taste_view, wire_taste
from humanaes_desktop.wording import NO_MODEL_NOTICE

log = logging.getLogger(__name__)

NO_PHOTOS_TEXT = "No photos yet.\n\nAdd a folder with File → Add folder… or the button on the left."
NO_MATCH_TEXT = "No photos match these filters."
LIBRARY_REFRESH_MS = 1000  # watcher changes refresh the gallery at most this often
COUNTS_REFRESH_MS = 500  # sidebar counts refresh at most this often while scoring (one query)
ARRAYS_PROGRESS_FROM = 50_000  # smaller libraries load too fast for a progress line to help
SCAN_PROGRESS_FROM = 500  # files a scan reads before its progress is worth a line


class WorkerControl(Protocol):
    """The scoring worker's controls the window uses (ScoringWorker satisfies it)."""

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def wake(self, *, reprioritize: bool = False) -> None: ...


@dataclass(frozen=True)
class ModelState:
    """What the window says about the model before the worker reports."""

    available: bool = False
    label: str | None = None
    synthetic: bool = False


class MainWindow(QMainWindow):
    """The HumanAes Desktop main window."""

    folders_edited = Signal()  # a folder was added or removed (the app re-syncs the watcher)
    settings_requested = Signal()

    def __init__(
        self,
        client: LibraryClient,
        thumbnails=None,
        bridge=None,
        worker: WorkerControl | None = None,
        model_state: ModelState = ModelState(),  # noqa: B008 (frozen)
        parent: QWidget | None = None,
        taste: TasteClient | None = None,
        sidecars: SidecarClient | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("HumanAes Desktop")
        self.resize(1400, 900)
        self.client, self.worker, self.model_state = client, worker, model_state
        self.taste = taste
        self.thumbnails = thumbnails
        self.model = GalleryModel(client.rows, thumbnails, self)
        self.gallery = GalleryView(self.model)
        self.controller = GalleryController(client, self.model, self.gallery, thumbnails, self)
        self._build_widgets()
        self._build_layout()
        self.commands = WindowCommands(self)
        self.culling = CullingActions(self, self.commands)
        self.autopilot = GalleryAutopilot(self.controller, self.pages, client, self)
        self.sidecar_sync = SidecarSync(self, sidecars) if sidecars is not None else None
        self._build_menus()
        self._counts_timer = QTimer(self, singleShot=True, interval=COUNTS_REFRESH_MS)
        self._counts_timer.timeout.connect(self.reload_folders)
        # Watcher bursts (thousands of files) become one refresh per second at most.
        self._library_timer = QTimer(self, singleShot=True, interval=LIBRARY_REFRESH_MS)
        self._library_timer.timeout.connect(self.library_changed)
        # Another process (a `humanaes watch` beside the app) writes to the same library.
        self.elsewhere = WritesElsewhere(client, parent=self)
        self._error_box: QMessageBox | None = None
        self._latest_folders = LatestRequest()
        self._wire(bridge)
        if taste is not None:
            wire_taste(self, taste)
        self._apply_model_state(model_state)

    # -- construction -----------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.sidebar = Sidebar()
        self.filter_bar = FilterBar()
        self.banner = SyntheticBanner()
        self.notice = _NoModelNotice()
        self.notice.settings_button.clicked.connect(self.settings_requested.emit)
        self.detail_panel = DetailPanel()
        self.status = ScoringStatusBar()
        self.setStatusBar(self.status)

    def _build_layout(self) -> None:
        self.pages = CenterPages(self.gallery, NO_PHOTOS_TEXT)
        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        for widget in (self.banner, self.notice, self.filter_bar):
            column.addWidget(widget)
        column.addWidget(self.pages, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        splitter.addWidget(self.sidebar)
        splitter.addWidget(center)
        splitter.addWidget(self.detail_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 800, 380])
        self.setCentralWidget(splitter)

    def _build_menus(self) -> None:
        bar, a = self.menuBar(), self.culling
        file_menu = bar.addMenu("&File")
        file_menu.addAction("Add folder…", QKeySequence("Ctrl+O"), self.sidebar.ask_add_folder)
        file_menu.addAction(a.export)
        if self.sidecar_sync is not None:
            file_menu.addAction(self.sidecar_sync.write_now)
        file_menu.addAction("Settings…", QKeySequence("Ctrl+,"), self.settings_requested.emit)
        file_menu.addSeparator()
        file_menu.addAction("Quit", QKeySequence(QKeySequence.StandardKey.Quit), self.close)
        view_menu = bar.addMenu("&View")
        for action in (a.grid, a.table, a.compare, a.preview, a.refresh, a.find):
            view_menu.addAction(action)
        if self.sidecar_sync is not None:
            view_menu.addAction(self.sidecar_sync.show_conflicts)
        photo_menu = bar.addMenu("&Photo")
        for action in a.rating_actions():
            photo_menu.addAction(action)
        label_menu = photo_menu.addMenu("Colour label")
        for action in a.label_actions():
            label_menu.addAction(action)
        photo_menu.addSeparator()
        for action in (a.select_all, a.score_now, a.best_of):
            photo_menu.addAction(action)
        photo_menu.addSeparator()
        for action in (a.accept_picks, a.undo_picks):
            photo_menu.addAction(action)

    def _wire(self, bridge) -> None:
        c = self.controller
        self.model.sort_requested.connect(self.filter_bar.set_sort)
        self.filter_bar.query_changed.connect(self._on_filter_bar_query_changed)
        self.sidebar.folder_selected.connect(lambda fid: c.update_query(folder_id=fid))
        self.sidebar.add_folder_requested.connect(self.add_folder)
        self.sidebar.remove_folder_requested.connect(self._on_sidebar_remove_requested)
        c.results_applied.connect(self._on_results_applied)
        c.profile_mix_changed.connect(self.filter_bar.show_profile_mix)
        c.current_row_refreshed.connect(lambda _id: self.show_current_detail(force=True))
        c.refreshed_in_place.connect(self.filter_bar.show_resort_hint)
        self.elsewhere.seen.connect(self._on_library_changed_elsewhere)
        self.gallery.current_changed.connect(lambda _id: self.show_current_detail())
        self.gallery.selection_changed.connect(self._on_selection_changed)
        self.gallery.activated.connect(lambda _id: self.commands.preview_current())
        self.detail_panel.annotation_requested.connect(
            lambda image_id: self.client.request_scoring([image_id], annotate=True)
        )
        # A user asked for these photos: they overtake the images the worker decoded ahead.
        self.client.images_requeued.connect(lambda _ids: self._wake_worker(reprioritize=True))
        self.client.folders_changed.connect(self.library_changed)
        self.client.arrays_progress.connect(self._on_client_arrays_progress)
        self.client.scan_progress.connect(self._on_client_scan_progress)
        self.client.operation_failed.connect(self.show_error)
        self.model.rows_failed.connect(self.show_error, Qt.ConnectionType.QueuedConnection)
        self.status.pause_toggled.connect(self._on_status_pause_toggled)
        # The comparison shows every breakdown: the detail panel gives it room meanwhile.
        self.pages.comparing_changed.connect(lambda on: self.detail_panel.setVisible(not on))
        # Queued: rows (and so this signal) load while a view paints.
        self.model.synthetic_changed.connect(
            lambda _seen: self._update_banner(), Qt.ConnectionType.QueuedConnection
        )
        if bridge is not None:
            bridge.progress_changed.connect(self._on_worker_progress)
            bridge.assessment_stored.connect(self._on_worker_assessment_stored)
            bridge.image_failed.connect(self._on_worker_image_failed)
            bridge.library_changed.connect(self._on_bridge_library_changed)
            bridge.watch_problem.connect(self.show_error)
            bridge.culling_changed.connect(self.controller.on_culling_changed)
        self._on_selection_changed()

    # -- startup ----------------------------------------------------------------------------
    def start(self) -> None:
        """Load folders and the first page of results (both off the GUI thread)."""
        initial = GalleryQuery()
        self._name_sort_for_no_model = not self.model_state.available
        if self._name_sort_for_no_model:
            initial = GalleryQuery(sort_key="file_name", descending=False)
        self.filter_bar.set_sort(initial.sort_key, initial.descending, emit=False)
        self.gallery.show_sort_indicator(initial.sort_key, initial.descending)
        # The gallery arrays load once the first page is on screen (it comes from SQL): their
        # seconds of reading must not compete with it for the CPU.
        self.controller.results_applied.connect(self._load_arrays_after_first_page)
        self.controller.set_query(initial)
        self.reload_folders()
        self.client.queue_counts(lambda counts: self.status.show_queue(counts.queued))
        if self.sidecar_sync is not None:
            self.sidecar_sync.refresh()
        self.elsewhere.start()

    def _on_library_changed_elsewhere(self) -> None:
        """Another process wrote: counts, queue and rows refresh, selection and scroll stay."""
        self.reload_folders()
        self.client.queue_counts(lambda counts: self.status.show_queue(counts.queued))
        self.controller.refresh_from_elsewhere()

    def _load_arrays_after_first_page(self, _count: int) -> None:
        self.controller.results_applied.disconnect(self._load_arrays_after_first_page)
        self.client.load_gallery_arrays()

    def reload_folders(self) -> None:
        """Refresh the sidebar's folders and counts (an older, slower answer never wins)."""
        self.client.load_folders(self._latest_folders.only_latest(self._on_folders_loaded))

    def _on_folders_loaded(self, result) -> None:
        self.sidebar.set_folders(*result)

    def library_changed(self) -> None:
        """Files or folders changed (scan, watcher): reload counts and the gallery."""
        self.reload_folders()
        self.controller.refresh()
        if self.sidecar_sync is not None:  # a scan may have read back sidecars
            self.sidecar_sync.refresh()

    # -- model state ------------------------------------------------------------------------
    def set_model_state(self, state: ModelState) -> None:
        """The app found (or lost) a model."""
        self.model_state = state
        self._apply_model_state(state)

    def _apply_model_state(self, state: ModelState) -> None:
        if state.available:
            self._sort_by_score_once_a_model_exists()
        self.notice.setVisible(not state.available)
        if state.available:
            self.status.model_label.setText(
                (state.label or "model") + (" (SYNTHETIC)" if state.synthetic else "")
            )
            self.status.state_label.setText("Ready")
        else:
            self.status.show_no_model()
        self._update_banner()

    def _sort_by_score_once_a_model_exists(self) -> None:
        # Without a model the gallery started in name order; once the user has set one up
        # they expect the best photos first (unless they chose another order meanwhile).
        if not getattr(self, "_name_sort_for_no_model", False):
            return
        self._name_sort_for_no_model = False
        query = self.controller.query
        if query.sort_key == "file_name" and not query.descending:
            self.filter_bar.set_sort("overall", True)

    def _update_banner(self) -> None:
        self.banner.set_synthetic(self.model_state.synthetic or self.model.saw_synthetic)

    # -- slots ------------------------------------------------------------------------------
    def _on_filter_bar_query_changed(self, query: GalleryQuery) -> None:
        self.gallery.show_sort_indicator(query.sort_key, query.descending)
        self.filter_bar.show_resort_hint(False)
        self.controller.set_query(replace(query, folder_id=self.controller.query.folder_id))

    def _on_results_applied(self, count: int) -> None:
        self.filter_bar.show_resort_hint(False)
        if self.pages.is_comparing:
            return
        if count:
            self.pages.show_gallery()
        else:
            plain = replace(self.controller.query, folder_id=None)
            filtered = not _only_sort_differs(plain, GalleryQuery())
            self.pages.show_empty(NO_MATCH_TEXT if filtered else NO_PHOTOS_TEXT)

    def _on_selection_changed(self) -> None:
        self.culling.set_selection_actions_enabled(bool(self.gallery.selected_ids()))

    def show_current_detail(self, force: bool = False) -> None:
        """Show the current photo's breakdown in the detail panel (reloaded when it changed)."""
        image_id = self.gallery.current_id()
        shown = self.detail_panel.current_detail()
        if not force and shown is not None and shown.row.id == image_id:
            return  # a re-query restored the same photo: nothing new to show
        try:
            detail = self.client.detail(image_id) if image_id is not None else None
        except Exception as exc:  # a slot must not raise into Qt; tell the user instead
            log.exception("reading the detail of image %s failed", image_id)
            self.show_error(f"Could not read this photo's details: {exc}")
            detail = None
        self.detail_panel.show_detail(detail)
        self.detail_panel.show_taste(*taste_view(self.taste, detail.row.id if detail else None))

    def _on_worker_progress(self, event) -> None:
        self.status.update_progress(event)
        if event.model_label:
            self.model_state = ModelState(True, event.model_label, event.synthetic)
            self.notice.setVisible(False)
            self._sort_by_score_once_a_model_exists()
        self._update_banner()
        if event.state == WorkerState.IDLE and event.remaining == 0:
            self.autopilot.scoring_finished()

    def _on_client_arrays_progress(self, done: int, total: int) -> None:
        if total >= ARRAYS_PROGRESS_FROM:
            self.status.show_work_progress(
                "Loading the library", done, total, "the first photos are shown meanwhile"
            )

    def _on_client_scan_progress(self, done: int, total: int) -> None:
        if total >= SCAN_PROGRESS_FROM:
            self.status.show_work_progress("Reading new and changed photos", done, total)

    def _on_worker_assessment_stored(self, event) -> None:
        self.controller.on_assessment_stored(event)
        self.filter_bar.show_resort_hint(self.controller.stale_order)
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _on_worker_image_failed(self, event) -> None:
        self.controller.on_image_failed(event)
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _on_bridge_library_changed(self) -> None:
        if not self._library_timer.isActive():  # throttle, so a long burst still refreshes
            self._library_timer.start()

    def _on_status_pause_toggled(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.pause() if paused else self.worker.resume()

    def _on_sidebar_remove_requested(self, folder_id: int) -> None:
        self.client.remove_folder(folder_id)
        self.folders_edited.emit()

    def add_folder(self, path: str) -> None:
        """Watch a new folder: added and scanned in the background."""
        self.client.add_folder(path, on_added=self._on_folder_added)

    def _on_folder_added(self, _folder: FolderRecord) -> None:
        self.folders_edited.emit()
        self._wake_worker()

    def _wake_worker(self, reprioritize: bool = False) -> None:
        if self.worker is not None:
            self.worker.wake(reprioritize=reprioritize)

    # -- what the commands may touch (CommandContext) ---------------------------------------
    def show_message(self, text: str, timeout_ms: int) -> None:
        """A short line in the status bar."""
        self.status.showMessage(text, timeout_ms)

    def folder_name(self, folder_id: int) -> str:
        """The folder's name as the sidebar shows it."""
        folder = self.sidebar.folder(folder_id)
        return os.path.basename(folder.path.rstrip(os.sep)) if folder else "this folder"

    def dialog_parent(self) -> QWidget:
        """The commands' dialogs belong to the window."""
        return self

    def culling_shortcuts(self) -> list[QAction]:
        """The rating and label actions (the full-screen preview takes them too)."""
        return self.culling.rating_actions() + self.culling.label_actions()

    def show_error(self, message: str) -> None:
        """Tell the user about a failed operation (status bar + a non-modal dialog)."""
        self.status.showMessage(message, 10_000)
        if not self.isVisible():
            return
        # Non-modal and reused: a burst of failures must not stack dialogs or block the loop.
        if self._error_box is None:
            self._error_box = QMessageBox(
                QMessageBox.Icon.Warning, "HumanAes Desktop", "", parent=self
            )
            self._error_box.setModal(False)
        self._error_box.setText(message)
        self._error_box.show()

    def stop(self) -> None:
        """Stop the window's own timers (before the library and worker shut down)."""
        self._counts_timer.stop()
        self._library_timer.stop()
        self.elsewhere.stop()
        self.commands.close_preview()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.commands.close_preview()
        super().closeEvent(event)


class _NoModelNotice(QWidget):
    """A strip saying that nothing is scored without a model, with the way to get one."""

    def __init__(self) -> None:
        super().__init__(objectName="noModelNotice")
        self.setStyleSheet("#noModelNotice { background: #fdf2d0; } QLabel { color: #5b4a00; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel(NO_MODEL_NOTICE, wordWrap=True)
        self.settings_button = QPushButton("Open Settings → Model…", objectName="openModelSetup")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.settings_button)

    def text(self) -> str:
        """The notice's sentence."""
        return self.label.text()


def _only_sort_differs(a: GalleryQuery, b: GalleryQuery) -> bool:
    return replace(a, sort_key=b.sort_key, descending=b.descending) == b
