"""Notice what another process writes to the library (a `humanaes watch` beside the window).

Every second the library is asked for the version only other processes' commits change
(`Library.others_version`: SQLite's PRAGMA data_version on our writer connection), on the
client's read pool; a change fires `seen` once. The window then refreshes counts and rows.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.background.tasks import LatestRequest

log = logging.getLogger(__name__)

POLL_MS = 1000


class WritesElsewhere(QObject):
    """Polls for commits by other processes; `seen` when there were some since the last look."""

    seen = Signal()

    def __init__(
        self, client: LibraryClient, interval_ms: int = POLL_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.look)
        self._version: int | None = None
        self._latest = LatestRequest()

    def start(self) -> None:
        """Take the current version as the baseline and look again every interval."""
        self.look()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def look(self) -> None:
        """Ask once now (off the GUI thread)."""
        self._client.others_version(self._latest.only_latest(self._on_version))

    def _on_version(self, version: int) -> None:
        seen, self._version = self._version, version
        if seen is None or seen == version:
            return  # the first answer only sets the baseline
        log.debug("another process wrote to the library (version %s -> %s)", seen, version)
        self.seen.emit()
