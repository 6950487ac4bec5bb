"""The window's centre: the gallery, the side-by-side comparison, or a sentence when it is empty.

One class answers "is the comparison showing?" and switches between the three pages, so the
window, its commands and the autopilot never compare page widgets themselves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from humanaes_desktop.library.records import ImageDetail
from humanaes_desktop.ui.breakdown.compare_view import CompareView
from humanaes_desktop.ui.gallery.view import GalleryView


class CenterPages(QStackedWidget):
    """Shows one of: the gallery, the comparison, the empty state."""

    comparing_changed = Signal(bool)  # the comparison was shown (True) or left (False)

    def __init__(self, gallery: GalleryView, empty_text: str, parent: QWidget | None = None):
        super().__init__(parent, objectName="galleryPages")
        self.gallery = gallery
        self.compare_view = CompareView()
        self.empty_state = QLabel(empty_text, objectName="emptyState")
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        for page in (self.gallery, self.compare_view, self.empty_state):
            self.addWidget(page)

    @property
    def is_comparing(self) -> bool:
        """True while the comparison is the page on show."""
        return self.currentWidget() is self.compare_view

    def show_gallery(self) -> None:
        """Show the gallery; leaving the comparison hands the keyboard back to the gallery."""
        was_comparing = self.is_comparing
        self.setCurrentWidget(self.gallery)
        if was_comparing:
            self.comparing_changed.emit(False)
            self.gallery.current_view().setFocus()

    def show_compare(self, details: list[ImageDetail]) -> None:
        """Show these photos side by side."""
        self.compare_view.show_details(details)
        self.setCurrentWidget(self.compare_view)
        self.comparing_changed.emit(True)

    def show_empty(self, text: str) -> None:
        """Show a sentence instead of photos (none yet, or none match)."""
        self.empty_state.setText(text)
        self.setCurrentWidget(self.empty_state)
