"""The window's side of the XMP sidecar sync.

- File → Write metadata now (Ctrl+Shift+W): every photo's sidecars, with progress and Cancel.
- View → Sync conflicts…: the modeless conflicts window; the status bar shows the count (click
  it) and how many sidecars could not be read or written.
- The detail panel says where the photo's ratings are written, and shows a sidecar error.
- Changing folders in the sidebar writes what is owed first (another tool may open the folder
  the user just left).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressDialog, QPushButton

from humanaes_desktop.library.xmp.records import PhotoSidecars, SyncResult, SyncStatus
from humanaes_desktop.ui.background.sidecar_client import SidecarClient
from humanaes_desktop.ui.dialogs.sync_conflicts import SyncConflictsDialog, conflict_count_text


def sidecar_note(state: PhotoSidecars) -> tuple[str, bool]:
    """(text, is_problem) for the detail panel."""
    if state.error:
        return f"Sidecar not updated: {state.error}", True
    if state.conflicts:
        fields = ", ".join(sorted({c.field for c in state.conflicts}))
        return (
            f"Sync conflict ({fields}): changed here and in the sidecar — View → Sync conflicts",
            True,
        )
    if state.pending:
        return "Sidecar: update pending…", False
    if state.paths:
        return "Sidecar: " + ", ".join(os.path.basename(p) for p in state.paths), False
    return "", False


class SidecarSync(QObject):
    """Menu actions, status-bar notes, the conflicts window and the detail panel's line."""

    def __init__(self, window: QMainWindow, client: SidecarClient) -> None:
        super().__init__(window)
        self.window, self.client = window, client
        self.write_now = QAction("Write metadata now", window)
        self.write_now.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.write_now.setStatusTip("Write every photo's ratings to its XMP sidecars now")
        self.write_now.triggered.connect(self.write_all)
        self.show_conflicts = QAction("Sync conflicts…", window)
        self.show_conflicts.triggered.connect(self.open_conflicts)
        self.conflicts_button = QPushButton(objectName="syncConflicts", flat=True)
        self.conflicts_button.setToolTip("Ratings changed both here and in a sidecar")
        self.conflicts_button.clicked.connect(self.open_conflicts)
        self.errors_label = QLabel(objectName="sidecarErrors")
        self.errors_label.setStyleSheet("color: #e67e22;")
        for widget in (self.conflicts_button, self.errors_label):
            widget.setVisible(False)
            window.statusBar().addPermanentWidget(widget)
        self.dialog: SyncConflictsDialog | None = None
        self.progress: QProgressDialog | None = None
        client.status_changed.connect(self._on_client_status_changed)
        client.conflicts_loaded.connect(self._on_client_conflicts_loaded)
        client.photo_loaded.connect(self._on_client_photo_loaded)
        client.synced.connect(self._on_client_synced)
        client.ratings_imported.connect(window.controller.refresh_rows)
        taste = getattr(window, "taste", None)
        if taste is not None:  # ratings made in other tools teach "your taste" too
            client.ratings_imported.connect(taste.on_ratings_changed)
        client.bulk_progress.connect(self._on_client_bulk_progress)
        client.bulk_finished.connect(self._on_client_bulk_finished)
        client.operation_failed.connect(window.show_error)
        window.gallery.current_changed.connect(self._on_gallery_current_changed)
        window.sidebar.folder_selected.connect(lambda _folder_id: client.flush())

    def add_to_menus(self, file_menu, view_menu) -> None:
        file_menu.addAction(self.write_now)
        view_menu.addSeparator()
        view_menu.addAction(self.show_conflicts)

    # -- status -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the counts and the current photo's sidecar state (after scans and starts)."""
        self.client.refresh_status()
        current = self.window.gallery.current_id()
        if current is not None:
            self.client.load_photo(current)

    def _on_client_status_changed(self, status: SyncStatus) -> None:
        text = conflict_count_text(status.conflicts)
        self.conflicts_button.setText(text)
        self.conflicts_button.setVisible(bool(text))
        errors = status.errors
        self.errors_label.setText(f"{errors} sidecar error" + ("" if errors == 1 else "s"))
        self.errors_label.setToolTip(
            "Sidecars that could not be read or written; the photo's detail says why"
        )
        self.errors_label.setVisible(bool(errors))
        if self.dialog is not None and self.dialog.isVisible():
            self.client.load_conflicts()

    def _on_client_synced(self, result: SyncResult) -> None:
        if result.image_id == self.window.gallery.current_id():
            self.client.load_photo(result.image_id)

    def _on_gallery_current_changed(self, image_id) -> None:
        if image_id is not None:
            self.client.load_photo(image_id)

    def _on_client_photo_loaded(self, image_id: int, state: PhotoSidecars) -> None:
        text, problem = sidecar_note(state)
        self.window.detail_panel.show_sidecar_note(image_id, text, problem)

    # -- conflicts --------------------------------------------------------------------------
    def open_conflicts(self) -> SyncConflictsDialog:
        """Show the conflicts window (modeless: culling goes on behind it)."""
        if self.dialog is None:
            self.dialog = SyncConflictsDialog(self.window)
            self.dialog.resolve_requested.connect(self.client.resolve)
        self.client.load_conflicts()
        self.dialog.show()
        self.dialog.activateWindow()
        return self.dialog

    def _on_client_conflicts_loaded(self, conflicts: list) -> None:
        if self.dialog is not None:
            self.dialog.set_conflicts(conflicts)

    # -- bulk writes ------------------------------------------------------------------------
    def write_all(self) -> None:
        """Write every photo's sidecars now, with progress and Cancel."""
        if self.client.bulk_running:
            return
        self.progress = QProgressDialog("Writing ratings to sidecars…", "Cancel", 0, 0, self.window)
        self.progress.setWindowTitle("Write metadata now")
        self.progress.setWindowModality(Qt.WindowModality.NonModal)
        self.progress.setMinimumDuration(300)
        self.progress.canceled.connect(self.client.cancel)
        self.client.write_all()

    def _on_client_bulk_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setMaximum(total)
            self.progress.setValue(done)
            self.progress.setLabelText(f"Writing ratings to sidecars… {done} of {total} photos")

    def _on_client_bulk_finished(self, done: int, cancelled: bool) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self.client.cancel)
            self.progress.close()
            self.progress = None
        word = "stopped after" if cancelled else "synced"
        self.window.show_message(f"Sidecars: {word} {done} photos", 5000)
