"""A query the gallery arrays cannot answer (a filter or sort key that only SQL knows: one
added for a later feature before the arrays hold it) is answered in SQL, with the same answer,
and the fallback is logged."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from humanaes_desktop.library import queries
from humanaes_desktop.library.arrays import filters, sort_keys
from humanaes_desktop.library.arrays.gallery_arrays import GalleryArrays
from humanaes_desktop.library.records import Flag, GalleryQuery
from tests.support.gallery_arrays import loaded_library, raw_values

LOGGER = "humanaes_desktop.library.arrays"
# A value that sets each GalleryQuery field the arrays do not hold (filters over other tables,
# answered in SQL). A new such field needs its sample here: the test below runs it.
SQL_ONLY_SAMPLES = {"marks": frozenset({"soft"}), "best_of_bursts": True}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """1,000 synthetic photos in 2 folders, arrays loaded."""
    lib = loaded_library(tmp_path_factory.mktemp("gen") / "lib.sqlite3", 1000, 500, seed=5)
    yield lib
    lib.close()


@pytest.fixture
def arrays_refuse(monkeypatch):
    """The arrays' own query path fails the test if it is reached."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("answered from the arrays")

    monkeypatch.setattr(GalleryArrays, "query_ids", refuse)


def _fallback_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "sorting and filtering in SQL" in r.getMessage()]


def test_a_filter_the_arrays_do_not_hold_is_answered_in_sql(loaded, monkeypatch, caplog):
    query = GalleryQuery(sort_key="looks", min_stars=2, flags=frozenset({Flag.PICKED}))
    from_arrays = loaded.gallery_ids(query).ids.tolist()
    monkeypatch.setattr(filters, "ARRAY_FIELDS", filters.ARRAY_FIELDS - {"min_stars"})
    sql = queries.query_ids(loaded._db, query)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        first = loaded.gallery_ids(query, first_page=10)
        again = loaded.query_ids(query)
    assert first.complete and first.ids.tolist() == sql == again  # whole, not a first page
    looks = raw_values(loaded.path, "looks")
    assert sorted(from_arrays) == sorted(sql) and len(sql) > 10
    assert [looks[i] for i in from_arrays] == [looks[i] for i in sql]  # the same answer
    told = _fallback_lines(caplog)
    assert "min_stars" in told[0].getMessage() and told[0].levelno == logging.INFO
    assert [r.levelno for r in told[1:]] == [logging.DEBUG]  # said once, not per query


def test_the_fallback_does_not_reach_the_arrays(loaded, monkeypatch, arrays_refuse):
    monkeypatch.setattr(filters, "ARRAY_FIELDS", filters.ARRAY_FIELDS - {"folder_id"})
    folder = loaded.folders()[1].id
    query = GalleryQuery(sort_key="overall", folder_id=folder)
    assert loaded.gallery_ids(query).ids.tolist() == queries.query_ids(loaded._db, query)
    assert loaded.query_ids(query) == queries.query_ids(loaded._db, query)


def test_a_sort_key_only_sql_knows_is_sorted_in_sql(loaded, monkeypatch, caplog, arrays_refuse):
    monkeypatch.delitem(sort_keys._KEYS, "environment")
    query = GalleryQuery(sort_key="environment", descending=False)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        got = loaded.gallery_ids(query).ids.tolist()
        best = loaded.top_n(3, "environment")
    assert got == queries.query_ids(loaded._db, query)
    assert [r.id for r in best] == [r.id for r in queries.top_n(loaded._db, 3, "environment")]
    assert "sort key 'environment'" in _fallback_lines(caplog)[0].getMessage()


def test_a_key_neither_knows_is_refused_without_a_fallback(loaded, caplog):
    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(ValueError):
        loaded.gallery_ids(GalleryQuery(sort_key="shoe_size"))
    assert _fallback_lines(caplog) == []


def test_uncovered_names_the_fields_set_beyond_the_arrays():
    @dataclasses.dataclass(frozen=True)
    class LaterQuery(GalleryQuery):  # a filter added to the SQL path only
        marks: frozenset[str] = frozenset()

    assert filters.uncovered(LaterQuery(min_stars=3, text="x")) == []
    assert filters.uncovered(LaterQuery(marks=frozenset({"soft"}))) == ["marks"]


def test_every_filter_only_sql_holds_gives_the_same_answer(loaded):
    sql_only = [f.name for f in dataclasses.fields(GalleryQuery)]
    sql_only = [name for name in sql_only if name not in filters.ARRAY_FIELDS]
    assert set(sql_only) <= set(SQL_ONLY_SAMPLES), "add a sample for the new filter"
    for name in sql_only:
        query = GalleryQuery(sort_key="overall", **{name: SQL_ONLY_SAMPLES[name]})
        assert filters.uncovered(query) == [name]
        assert loaded.gallery_ids(query).ids.tolist() == queries.query_ids(loaded._db, query)
