""" "Your taste" on a real library: a simulated user whose ratings follow a hidden weighting of the
dimensions gets a taste that ranks unseen photos clearly better than the MetaVoter order; a user
who rates at random, or too few photos, gets none offered; sorting and the CLI follow."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from humanaes_desktop.cli import main
from humanaes_desktop.errors import UserError
from humanaes_desktop.library.records import GalleryQuery
from humanaes_desktop.taste import service
from humanaes_desktop.taste.learn import MIN_RATED
from tests.support.taste_library import DIM, rate_by, scored_library


def test_a_consistent_user_gets_a_taste_that_beats_the_metavoter_order(tmp_path):
    library, ids, dims, overall = scored_library(tmp_path, 200, seed=1)
    rng = np.random.default_rng(11)
    hidden = 0.3 * overall + 1.0 * dims[:, DIM["environment"]] + 0.7 * dims[:, DIM["outfit"]]
    hidden = hidden + rng.normal(0, 0.05, len(ids))
    rated, unseen = slice(0, 140), slice(140, None)
    rate_by(library, ids[rated], hidden[rated])
    model = service.fit_taste(library)
    assert model.offered, model.reason
    e = model.evaluation
    assert e.taste_pairwise >= e.baseline_pairwise + 0.1
    assert "%" in model.reason and "MetaVoter" in model.reason
    # photos it never saw rated: the learnt taste follows the hidden preference far better
    scores = service.taste_scores(library, model, ids[unseen].tolist())
    taste = np.array([scores[i] for i in ids[unseen].tolist()])
    learnt = stats.spearmanr(taste, hidden[unseen])[0]
    plain = stats.spearmanr(overall[unseen], hidden[unseen])[0]
    assert learnt > plain + 0.3 and learnt > 0.7
    assert all(0 < s < 1 for s in scores.values())
    explanation = model.explanation()
    assert "Environment" in explanation and "more than the average rater" in explanation
    emphasis = model.dimension_emphasis()
    assert max(emphasis, key=emphasis.get) == "environment"
    # the gallery's sort by taste is the model's order, unscored photos last
    order = library.query_ids(GalleryQuery(sort_key="taste"))
    everything = service.taste_scores(library, model, ids.tolist())
    assert order == sorted(everything, key=lambda i: -everything[i])
    library.close()


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_a_user_who_rates_at_random_gets_no_taste_offered(tmp_path, seed):
    library, ids, _dims, _overall = scored_library(tmp_path, 120, seed=seed)
    rate_by(library, ids, np.random.default_rng(100 + seed).uniform(size=len(ids)))
    model = service.fit_taste(library)
    assert not model.offered
    assert model.reason.startswith(
        ("Not better than the MetaVoter order", "Not clearly better than chance")
    )
    with pytest.raises(UserError, match="Sorting by your taste is off"):
        library.query_ids(GalleryQuery(sort_key="taste"))
    library.close()


def test_too_few_ratings_say_how_many_are_needed(tmp_path):
    library, ids, dims, _ = scored_library(tmp_path, MIN_RATED + 5, seed=5)
    rate_by(library, ids[: MIN_RATED - 1], dims[: MIN_RATED - 1, DIM["outfit"]])
    assert not service.needs_refit(library)
    model = service.fit_taste(library)
    assert not model.offered and f"at least {MIN_RATED}" in model.reason
    assert f"so far: {MIN_RATED - 1}" in model.reason
    library.set_rating([int(ids[MIN_RATED])], stars=2)
    assert service.needs_refit(library)  # no taste was fitted, and now there are enough ratings
    library.close()


def test_refit_after_enough_new_ratings_and_reset(tmp_path):
    library, ids, dims, _ = scored_library(tmp_path, 80, seed=6)
    rate_by(library, ids[:60], dims[:60, DIM["environment"]])
    service.fit_taste(library)
    assert not service.needs_refit(library)
    for image_id in ids[60 : 60 + service.REFIT_EVERY - 1].tolist():
        library.set_rating([image_id], stars=3)
    assert not service.needs_refit(library)
    library.set_rating([int(ids[75])], stars=4)
    assert service.needs_refit(library)
    assert library.reset_taste() and service.stored_taste(library) is None
    library.close()


def test_cli_fit_show_export_and_reset(tmp_path, capsys):
    library, ids, dims, _ = scored_library(tmp_path, 120, seed=7)
    rate_by(library, ids, dims[:, DIM["environment"]] + 0.2 * dims[:, DIM["looks"]])
    library.close()
    db = str(tmp_path / "library.sqlite3")
    assert main(["taste", "fit", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sort by your taste: ON.") and "Environment" in out
    assert main(["taste", "show", "--db", db, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["offered"] and shown["rated"] == 120 and "environment" in shown["column_weights"]
    assert main(["library", "export", "--db", db, "--format", "json", "--sort", "taste"]) == 0
    rows = json.loads(capsys.readouterr().out)
    env = [r["environment"] for r in rows]
    assert stats.spearmanr(env, range(len(env), 0, -1))[0] > 0.8  # best taste first
    assert main(["taste", "reset", "--db", db]) == 0
    assert "forgotten" in capsys.readouterr().out
    assert main(["library", "export", "--db", db, "--sort", "taste"]) == 2
    assert "taste is off" in capsys.readouterr().err
    assert main(["taste", "show", "--db", db]) == 1


def test_export_sort_keys_are_the_gallery_sort_keys():
    from humanaes_desktop.commands.library import EXPORT_SORT_KEYS
    from humanaes_desktop.library.queries import SORT_KEYS

    assert EXPORT_SORT_KEYS == SORT_KEYS
