"""Renders the main window to a PNG once what is visible has loaded (`--screenshot`).

It waits on conditions — the first query applied, the folders listed, the visible thumbnails
decoded, the detail preview loaded — polled on a short timer, and gives up waiting after a bound
(the shot is still taken, with a warning) so a broken file can never hang the command.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from humanaes_desktop.ui.breakdown.detail_panel import DetailPanel

log = logging.getLogger(__name__)

POLL_MS = 50
# Generous: a live shot waits for the model to load and score on a busy CPU; it is only ever
# reached when something really stalls.
MAX_WAIT_S = 90.0
SETTLE_POLLS = 3  # conditions must hold on consecutive polls (late repaints re-request)


class ScreenshotTaker(QObject):
    """Drives the window into the requested view, waits until it is ready, saves the PNG."""

    finished = Signal(int)  # exit code

    def __init__(
        self,
        window,
        path: Path,
        view: str = "grid",
        select: int | None = None,
        min_scored: int = 0,
    ) -> None:
        super().__init__(window)
        self.window, self.path, self.view = window, Path(path), view
        self.min_scored = min_scored  # live shot: wait until the worker has scored this many
        self.select = select if select is not None else (2 if view == "compare" else 1)
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._phase = "query"
        self._stable = 0
        self._deadline = 0.0

    def start(self) -> None:
        """Begin waiting (call once the event loop runs)."""
        self._deadline = time.monotonic() + MAX_WAIT_S
        self._timer.start()

    def _poll(self) -> None:
        if time.monotonic() > self._deadline:
            log.warning(
                "screenshot: still loading after %.0f s (%s); saving anyway",
                MAX_WAIT_S,
                self._phase,
            )
            self._save()
            return
        if self._phase == "query":
            if self.window.controller.queries_run >= 1 and self.window.sidebar.list.count() > 0:
                self._arrange()
                self._phase = "content"
            return
        if self._content_ready():
            self._stable += 1
            if self._stable >= SETTLE_POLLS:
                self._save()
        else:
            self._stable = 0

    def _arrange(self) -> None:
        w = self.window
        count = min(self.select, w.model.rowCount())
        ids = [w.model.id_at(row) for row in range(count)]
        if ids:
            w.gallery.select_ids(ids, current=ids[0])
        w.gallery.set_mode("table" if self.view == "table" else "grid")
        if self.view == "compare":
            w.commands.toggle_compare()

    def _content_ready(self) -> bool:
        w = self.window
        if self.min_scored and not self._scoring_shown():
            return False
        if w.pages.is_comparing:
            return w.pages.compare_view.previews_loaded()
        if w.thumbnails is not None and w.pages.currentWidget() is w.gallery:
            for row in w.gallery.visible_rows():
                image = w.model.image_row(row)
                if image is None:
                    continue
                w.model.index(row, 0).data(1)  # DecorationRole: (re)request if needed
                if not w.thumbnails.is_settled(image.path, image.size, image.mtime):
                    return False
        return _preview_settled(w.detail_panel)

    def _scoring_shown(self) -> bool:
        """Live shot: enough photos scored, and the status bar shows progress and an ETA."""
        status = self.window.status
        progress = status.progress
        scored = progress.isVisible() and progress.value() >= self.min_scored
        return scored and bool(status.eta_label.text())

    def _save(self) -> None:
        self._timer.stop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.grab().save(str(self.path), "PNG")
        if not ok:
            log.error("could not write the screenshot to %s", self.path)
        self.finished.emit(0 if ok else 1)


def _preview_settled(panel: DetailPanel) -> bool:
    """True when the detail panel is not waiting for its preview image."""
    if panel.current_detail() is None:
        return True
    if not panel.preview_pixmap().isNull():
        return True
    return panel.preview_label.text().startswith("No preview")  # failed: settled
