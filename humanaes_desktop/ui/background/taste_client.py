"""The GUI's access to the learnt taste: refits and resets on one background thread.

After ratings are written, the keeper is asked whether enough changed to learn the taste again;
fitting takes a second or so, never on the GUI thread. `state_changed` carries the new TasteState.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from humanaes_desktop.taste.state import NOT_LEARNT, TasteState
from humanaes_desktop.ui.background.tasks import TaskRunner

log = logging.getLogger(__name__)


class TasteKeeperLike(Protocol):
    def state(self) -> TasteState: ...
    def refit_if_due(self) -> TasteState | None: ...
    def refit(self) -> TasteState: ...
    def reset(self) -> TasteState: ...
    def score_of(self, image_id: int) -> float | None: ...


class TasteClient(QObject):
    """Create on the GUI thread; `load()` once, then it follows the ratings."""

    state_changed = Signal(object)  # TasteState

    def __init__(self, keeper: TasteKeeperLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keeper = keeper
        self.state: TasteState = NOT_LEARNT
        self._runner = TaskRunner(max_threads=1, name="taste")
        self._closed = False

    def load(self) -> None:
        """Read the stored taste, then learn it again if ratings changed since."""
        self._run(self.keeper.state)
        self._run(self.keeper.refit_if_due)

    def on_ratings_changed(self, _ids: list[int]) -> None:
        self._run(self.keeper.refit_if_due)

    def refit(self) -> None:
        self._run(self.keeper.refit)

    def reset(self) -> None:
        """Forget the learnt taste (Settings)."""
        self._run(self.keeper.reset)

    def score_of(self, image_id: int) -> float | None:
        """The photo's taste score, synchronously (one row); None without an offered taste."""
        try:
            return self.keeper.score_of(image_id)
        except Exception:  # the detail panel must still show the photo
            log.exception("reading the taste score of image %s failed", image_id)
            return None

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        return self._runner.wait_idle(timeout_ms)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        self._closed = True
        self._runner.shutdown(timeout_ms)

    def _run(self, fn: Callable[[], Any]) -> None:
        if self._closed:
            return
        self._runner.run_task(fn, self._on_done, self._on_failed)

    def _on_done(self, state: TasteState | None) -> None:
        if state is None or self._closed:
            return
        self.state = state
        self.state_changed.emit(state)

    def _on_failed(self, exc: BaseException) -> None:
        log.error("learning the taste failed", exc_info=exc)
