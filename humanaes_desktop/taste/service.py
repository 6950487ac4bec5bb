"""Fitting, storing and reading a library's taste: what the CLI and the app call."""

from __future__ import annotations

import logging

from humanaes_desktop.library import Library
from humanaes_desktop.taste.learn import MIN_RATED, learn_taste
from humanaes_desktop.taste.model import TasteModel
from humanaes_desktop.taste.preferences import preference_values

log = logging.getLogger(__name__)

REFIT_EVERY = 10  # new or changed ratings before the taste is learnt again


def fit_taste(library: Library) -> TasteModel:
    """Learn the taste from the library's rated photos and store it (offered or not)."""
    _ids, features, stars, flags = library.rated_photos()
    values = preference_values(stars, flags)
    _all_ids, everything = library.scored_features()
    model = learn_taste(features, values, everything)
    library.save_taste(model.to_document(), ratings=model.rated)
    log.info("taste learnt from %d rated photos: %s", model.rated, model.reason)
    return model


def stored_taste(library: Library) -> TasteModel | None:
    """The library's stored taste, if one was learnt with this version's features."""
    document = library.load_taste()
    return None if document is None else TasteModel.from_document(document)


def needs_refit(library: Library) -> bool:
    """True when enough ratings changed since the last fit (or none was ever made and enough
    photos are rated)."""
    fitted_at = library.taste_fitted_at()
    stored = stored_taste(library)
    if fitted_at is None or stored is None or not stored.fitted:
        rated = len(library.rated_photos()[0])
        return rated >= MIN_RATED and (stored is None or rated != stored.rated)
    return library.ratings_changed_since(fitted_at) >= REFIT_EVERY


def taste_scores(library: Library, model: TasteModel, image_ids: list[int]) -> dict[int, float]:
    """The taste score (chance of being preferred to a typical photo) of each scored photo."""
    ids, features = library.scored_features(image_ids)
    if not model.fitted or not len(ids):
        return {}
    return dict(zip(ids.tolist(), model.score(features).tolist(), strict=True))
