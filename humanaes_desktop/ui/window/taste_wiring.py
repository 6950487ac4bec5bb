"""How the window follows the learnt taste: the sort option, the resort hint, the detail panel."""

from __future__ import annotations

from typing import Any

from humanaes_desktop.taste.state import TasteState
from humanaes_desktop.ui.background.taste_client import TasteClient


def wire_taste(window: Any, taste: TasteClient) -> None:
    """Connect a TasteClient to the window's filter bar, gallery and detail panel."""
    window.client.ratings_changed.connect(taste.on_ratings_changed)

    def on_state_changed(state: TasteState) -> None:
        window.filter_bar.set_taste(state.offered, state.reason)
        if window.controller.query.sort_key == "taste":
            # A new taste reorders the photos: like new scores, the rows wait for F5.
            window.controller.stale_order = True
            window.filter_bar.show_resort_hint(True)
        window.show_current_detail(force=True)

    taste.state_changed.connect(on_state_changed)


def taste_view(
    taste: TasteClient | None, image_id: int | None
) -> tuple[TasteState | None, float | None]:
    """What the detail panel shows of the taste for this photo."""
    if taste is None or image_id is None:
        return None, None
    return taste.state, taste.score_of(image_id)
