"""A library's taste for the app: refit when enough ratings changed, scores for the detail panel.

Every method but `score_of` does database work and fitting, so the app calls them on one
background thread (in order); `score_of` reads one photo's scores and may run on the GUI thread.
"""

from __future__ import annotations

import threading

from humanaes_desktop.library import Library
from humanaes_desktop.taste import service
from humanaes_desktop.taste.model import TasteModel
from humanaes_desktop.taste.state import NOT_LEARNT, TasteState


def state_of(model: TasteModel | None) -> TasteState:
    """The plain-data view of a taste model."""
    if model is None:
        return NOT_LEARNT
    if not model.fitted:
        return TasteState(False, False, model.reason, rated=model.rated)
    return TasteState(
        True, model.offered, model.reason, model.explanation(), model.dimension_emphasis(),
        model.rated,
    )  # fmt: skip


class TasteKeeper:
    def __init__(self, library: Library) -> None:
        self._library = library
        self._lock = threading.Lock()
        self._model: TasteModel | None = None

    def state(self) -> TasteState:
        """The stored taste (read again from the library)."""
        model = service.stored_taste(self._library)
        with self._lock:
            self._model = model
        return state_of(model)

    def refit_if_due(self) -> TasteState | None:
        """Learn the taste again when enough ratings changed; None when nothing was done."""
        if not service.needs_refit(self._library):
            return None
        return self.refit()

    def refit(self) -> TasteState:
        model = service.fit_taste(self._library)
        with self._lock:
            self._model = model
        return state_of(model)

    def reset(self) -> TasteState:
        self._library.reset_taste()
        with self._lock:
            self._model = None
        return NOT_LEARNT

    def score_of(self, image_id: int) -> float | None:
        """This photo's taste score (None: no offered taste, or the photo is not scored)."""
        with self._lock:
            model = self._model
        if model is None or not model.offered:
            return None
        return service.taste_scores(self._library, model, [image_id]).get(image_id)
