"""The real main window on a real library, for the window tests (no worker, no thumbnails)."""

from __future__ import annotations

from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.background.worker_bridge import WorkerBridge
from humanaes_desktop.ui.gallery.model import Column
from humanaes_desktop.ui.window.main_window import MainWindow, ModelState

SYNTHETIC_STATE = ModelState(True, "synthetic/tiny", True)


class RecordingWorker:
    """Stands in for the ScoringWorker's controls; records what the window asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def wake(self, *, reprioritize: bool = False) -> None:
        self.calls.append("wake (reprioritize)" if reprioritize else "wake")


def open_window(qtbot, library, model_state: ModelState = SYNTHETIC_STATE):
    """(window, client, bridge, worker): shown, started, its first query answered."""
    client = LibraryClient(library)
    bridge = WorkerBridge()
    worker = RecordingWorker()
    window = MainWindow(client, None, bridge, worker, model_state)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    qtbot.waitUntil(lambda: window.controller.queries_run >= 1, timeout=5000)
    return window, client, bridge, worker


def names(window) -> list[str]:
    """The file names the gallery shows, in order."""
    model = window.model
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def focus_on(qtbot, window, image_id: int) -> None:
    """Make `image_id` the selected, current photo with the keyboard focus on the grid."""
    window.gallery.select_ids([image_id], current=image_id)
    window.activateWindow()
    window.gallery.grid.setFocus()
    qtbot.waitUntil(lambda: window.gallery.grid.hasFocus(), timeout=3000)
