"""The list of watched folders: "All photos" plus one entry per folder, with counts.

Adding asks for a folder (QFileDialog) and hands the path to the controller, which starts the scan
and the watcher in the background; removing asks for confirmation first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.library.records import FolderRecord

FolderId = int | None  # None: all photos
Counts = Mapping[str, int]  # status name -> count, as Library.status_counts returns


def describe_counts(counts: Counts) -> str:
    """One short line such as "120 photos · 80 scored · 30 queued · 2 failed"."""
    total = sum(v for k, v in counts.items() if k != "missing")
    parts = [f"{total} photo{'s' if total != 1 else ''}"]
    unscored = sum(counts.get(k, 0) for k in ("new", "queued", "scoring"))
    failed = counts.get("failed", 0) + counts.get("unsupported", 0)
    for label, value in (("scored", counts.get("scored", 0)), ("to score", unscored)):
        if value:
            parts.append(f"{value} {label}")
    if failed:
        parts.append(f"{failed} failed")
    if counts.get("missing"):
        parts.append(f"{counts['missing']} missing")
    return " · ".join(parts)


class Sidebar(QWidget):
    """Folder list with add/remove buttons."""

    folder_selected = Signal(object)  # folder id or None for all photos
    add_folder_requested = Signal(str)
    remove_folder_requested = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        choose_directory: Callable[[QWidget], str] | None = None,
        confirm: Callable[[QWidget, str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        # Injectable so tests can drive add/remove without a modal dialog.
        self._choose_directory = choose_directory or _ask_directory
        self._confirm = confirm or _ask_confirmation
        self.list = QListWidget(objectName="folderList")
        self.list.setWordWrap(True)
        self.add_button = QPushButton("Add folder…", objectName="addFolder")
        self.remove_button = QPushButton("Remove", objectName="removeFolder")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.list.currentItemChanged.connect(self._on_current_item_changed)
        self._folders: dict[int, FolderRecord] = {}
        self.set_folders([], {None: {}})

    def set_folders(self, folders: list[FolderRecord], counts: Mapping[FolderId, Counts]) -> None:
        """Show these folders and counts, keeping the selected entry."""
        selected = self.selected_folder_id()
        self._folders = {f.id: f for f in folders}
        self.list.blockSignals(True)
        self.list.clear()
        self._add_item("All photos", counts.get(None, {}), None)
        for folder in folders:
            name = os.path.basename(folder.path.rstrip(os.sep)) or folder.path
            if not folder.available:
                name += " (unavailable)"
            item = self._add_item(name, counts.get(folder.id, {}), folder.id)
            item.setToolTip(folder.path)
        self._select(selected if selected in self._folders else None)
        self.list.blockSignals(False)
        self.remove_button.setEnabled(self.selected_folder_id() is not None)

    def _add_item(self, name: str, counts: Counts, folder_id: FolderId) -> QListWidgetItem:
        item = QListWidgetItem(f"{name}\n{describe_counts(counts)}")
        item.setData(Qt.ItemDataRole.UserRole, folder_id)
        self.list.addItem(item)
        return item

    def _select(self, folder_id: FolderId) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == folder_id:
                self.list.setCurrentRow(row)
                return

    def selected_folder_id(self) -> FolderId:
        """The chosen folder's id, or None for all photos."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_current_item_changed(self, current: QListWidgetItem | None, _previous) -> None:
        folder_id = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.remove_button.setEnabled(folder_id is not None)
        self.folder_selected.emit(folder_id)

    def folder(self, folder_id: int) -> FolderRecord | None:
        """The record of a listed folder."""
        return self._folders.get(folder_id)

    def ask_add_folder(self) -> None:
        """Ask for a folder and request adding it."""
        self._on_add_clicked()

    def _on_add_clicked(self) -> None:
        path = self._choose_directory(self)
        if path:
            self.add_folder_requested.emit(path)

    def _on_remove_clicked(self) -> None:
        folder = self._folders.get(self.selected_folder_id())
        if folder is None:
            return
        question = (
            f"Stop watching “{folder.path}”?\n\nThe photos stay on disk. Their scores and "
            "ratings are kept: adding the folder again brings them back."
        )
        if self._confirm(self, question):
            self.remove_folder_requested.emit(folder.id)


def _ask_directory(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Add a folder of photos")


def _ask_confirmation(parent: QWidget, question: str) -> bool:
    answer = QMessageBox.question(parent, "Remove folder", question)
    return answer == QMessageBox.StandardButton.Yes
