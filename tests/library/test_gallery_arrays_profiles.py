"""The filter bar's quick/full mix counted from the gallery arrays gives SQL's counts, for any
filter and after new scores (a quick score replaced by a full one)."""

from __future__ import annotations

import random

import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.library import queries
from humanaes_desktop.library.arrays.gallery_arrays import GalleryArrays
from humanaes_desktop.library.records import GalleryQuery
from tests.support.assessments import make_assessment
from tests.support.gallery_arrays import loaded_library, random_query


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """2,000 synthetic photos in 4 folders, a third of the scores quick ones, arrays loaded."""
    path = tmp_path_factory.mktemp("mix") / "lib.sqlite3"
    lib = loaded_library(path, 2000, 500, seed=11, quick=0.35)
    yield lib
    lib.close()


def test_the_mix_of_any_list_matches_sql(mixed, monkeypatch):
    counted_by_arrays = []
    original = GalleryArrays.profile_mix
    monkeypatch.setattr(
        GalleryArrays,
        "profile_mix",
        lambda self, q: counted_by_arrays.append(q) or original(self, q),
    )
    rng = random.Random(4)
    folders = [f.id for f in mixed.folders()]
    queries_run = [GalleryQuery(), *(random_query(rng, folders) for _ in range(40))]
    for query in queries_run:
        assert mixed.profile_counts(query) == queries.profile_counts(mixed._db, query), query
    assert len(counted_by_arrays) == len(queries_run)
    assert mixed.profile_counts(GalleryQuery()).quick > 400  # there is a mix to count


def test_a_full_score_replacing_a_quick_one_moves_the_count(mixed):
    before = mixed.profile_counts(GalleryQuery())
    quick_ids = [
        r.id for r in mixed.rows(mixed.query_ids(GalleryQuery())[:400]) if r.max_tiles == 1
    ]
    full = PreprocessProfile(max_tiles=12)
    for image_id in quick_ids[:5]:
        mixed.record_assessment(image_id, make_assessment(0.9, profile=full))
    after = mixed.profile_counts(GalleryQuery())
    assert (after.quick, after.full) == (before.quick - 5, before.full + 5)
    assert after == queries.profile_counts(mixed._db, GalleryQuery())
