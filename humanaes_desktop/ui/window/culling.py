"""Keyboard culling: the window's actions and their shortcuts.

Every culling command is a QAction with a shortcut, so it works from the keyboard anywhere in the
window and is discoverable in the menus. Single-letter shortcuts do not fire while the file-name
filter has focus (a line edit claims printable keys first), so typing "p" there types a "p".

Colour labels follow Lightroom: 6 red, 7 yellow, 8 green, 9 blue (purple has no key, as there);
pressing a photo's own colour again removes the label. 0-5 stay the star ratings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from humanaes_desktop.library.records import Flag
from humanaes_desktop.wording import color_label_text

# (colour, key); purple has no key, as in Lightroom.
COLOR_LABEL_KEYS: list[tuple[str, str | None]] = [
    ("red", "6"), ("yellow", "7"), ("green", "8"), ("blue", "9"), ("purple", None),
]  # fmt: skip


class CullingTarget(Protocol):
    """What the actions operate on (the main window implements it)."""

    def flag_selection(self, flag: Flag) -> None: ...
    def rate_selection(self, stars: int) -> None: ...
    def label_selection(self, color: str) -> None: ...
    def preview_current(self) -> None: ...
    def select_all(self) -> None: ...
    def focus_name_filter(self) -> None: ...
    def show_grid(self) -> None: ...
    def show_table(self) -> None: ...
    def toggle_compare(self) -> None: ...
    def export_picks(self) -> None: ...
    def score_selection_now(self) -> None: ...
    def best_of_folder(self) -> None: ...
    def refresh_gallery(self) -> None: ...
    def accept_suggested_picks(self) -> None: ...
    def undo_accept_picks(self) -> None: ...


class CullingActions(QObject):
    """Creates the actions on `window` (so their shortcuts are live) and groups them for menus."""

    def __init__(self, window: QWidget, target: CullingTarget) -> None:
        super().__init__(window)
        self._window = window
        self.pick = self._action("Pick", "P", lambda: target.flag_selection(Flag.PICKED))
        self.reject = self._action("Reject", "X", lambda: target.flag_selection(Flag.REJECTED))
        self.unflag = self._action("Unflag", "U", lambda: target.flag_selection(Flag.NONE))
        self.stars = [
            self._action(
                f"{n} star{'s' if n != 1 else ''}" if n else "No stars",
                str(n),
                _bind(target.rate_selection, n),
            )
            for n in range(6)
        ]
        self.labels = [
            self._action(color_label_text(color), key, _bind(target.label_selection, color))
            for color, key in COLOR_LABEL_KEYS
        ]
        self.clear_label = self._action("No colour label", None, _bind(target.label_selection, ""))
        self.preview = self._action("Full-screen preview", "Space", target.preview_current)
        self.select_all = self._action(
            "Select all", QKeySequence.StandardKey.SelectAll, target.select_all
        )
        self.find = self._action(
            "Filter by file name", QKeySequence.StandardKey.Find, target.focus_name_filter
        )
        self.grid = self._action("Grid", "G", target.show_grid)
        self.table = self._action("Table", "T", target.show_table)
        self.compare = self._action(
            "Compare selected (2-9) or the burst", "C", target.toggle_compare
        )
        self.export = self._action("Export picks…", "Ctrl+E", target.export_picks)
        self.score_now = self._action("Score selection now", "Ctrl+R", target.score_selection_now)
        self.best_of = self._action("Best of folder…", "Ctrl+B", target.best_of_folder)
        self.accept_picks = self._action(
            "Accept the suggested picks", "Ctrl+Shift+P", target.accept_suggested_picks
        )
        self.undo_picks = self._action(
            "Undo accept picks", QKeySequence.StandardKey.Undo, target.undo_accept_picks
        )
        self.refresh = self._action(
            "Re-sort / refresh", QKeySequence.StandardKey.Refresh, target.refresh_gallery
        )

    def _action(self, text: str, shortcut, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self._window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self._window.addAction(action)
        return action

    def rating_actions(self) -> list[QAction]:
        """Pick, reject, unflag and the six star ratings, in menu order."""
        return [self.pick, self.reject, self.unflag, *self.stars]

    def label_actions(self) -> list[QAction]:
        """The five colour labels and "No colour label", in menu order."""
        return [*self.labels, self.clear_label]

    def set_selection_actions_enabled(self, enabled: bool) -> None:
        """Grey out actions that need a selected photo."""
        needs_photo = (*self.rating_actions(), *self.label_actions())
        for action in (*needs_photo, self.preview, self.compare, self.score_now):
            action.setEnabled(enabled)


def _bind(fn: Callable[[Any], None], value: Any) -> Callable[[], None]:
    return lambda: fn(value)
