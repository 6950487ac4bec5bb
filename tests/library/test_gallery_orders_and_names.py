"""The pieces under the gallery arrays: repaired sort orders equal fresh sorts, and the name
index sorts and searches like SQLite (BINARY order, LIKE's ASCII-only case folding)."""

from __future__ import annotations

import numpy as np
import pytest

from humanaes_desktop.library.arrays.names import NameIndex
from humanaes_desktop.library.arrays.orders import SortOrders, repaired, sort_values


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8"])
def test_a_repaired_order_equals_a_fresh_sort(dtype):
    rng = np.random.default_rng(5)
    values = rng.integers(0, 6, 3000).astype(dtype)  # many ties: they must stay by id
    if dtype != "int8":
        values = rng.random(3000).astype(dtype)
        values[rng.choice(3000, 400, replace=False)] = np.nan
        values[rng.choice(3000, 300, replace=False)] = 0.5  # exact ties too
    order = sort_values(values)
    for _ in range(20):
        grown = np.concatenate([values, rng.random(int(rng.integers(0, 30))).astype(dtype)])
        changed = rng.choice(len(values), int(rng.integers(1, 60)), replace=False)
        if dtype == "int8":
            grown[changed] = rng.integers(0, 6, changed.size)
        else:
            grown[changed] = np.where(rng.random(changed.size) < 0.2, np.nan, 0.5)
            grown[changed[::3]] = rng.random(len(changed[::3]))
        order = repaired(order, grown, changed)
        expected = sort_values(grown)
        assert order.valid == expected.valid
        np.testing.assert_array_equal(order.ids, expected.ids)
        values = grown


def test_orders_are_repaired_only_when_asked_for_and_resorted_after_many_changes():
    values = np.arange(100, dtype=np.float32)[::-1].copy()
    orders = SortOrders()
    calls = []

    def current():
        calls.append(1)
        return values

    assert orders.get("k", current).ids[0] == 99 and len(calls) == 1
    values[[0, 1]] = [-1, -2]
    orders.changed("k", np.array([0, 1]))
    assert len(calls) == 1  # nothing done until the order is used
    assert orders.get("k", current).ids[:2].tolist() == [1, 0]
    values[:] = np.arange(100)
    orders.changed("k", np.arange(100))  # all of them: a plain sort
    assert orders.get("k", current).ids.tolist() == list(range(100))
    assert orders.get("k", current) is orders.get("k", current) and len(calls) == 3


def _names(index: NameIndex) -> list[tuple[bytes, int]]:
    return [(index.name(e), int(i)) for e, i in enumerate(index.ids_in_order())]


def test_names_sort_by_bytes_then_id_and_updates_equal_a_rebuild():
    pairs = [(b"b.jpg", 3), (b"B.jpg", 1), (b"a.jpg", 7), (b"b.jpg", 2), ("é.png".encode(), 4)]
    index = NameIndex(pairs)
    assert index.ids_in_order().tolist() == [1, 7, 2, 3, 4]  # "B" < "a" < "b" < "é", ties by id
    index.update(np.array([7, 3]), [(b"zz.png", 7), (b"a0.jpg", 9), (b"B.jpg", 0)])
    rebuilt = NameIndex([(b"b.jpg", 2), (b"B.jpg", 1), ("é.png".encode(), 4), (b"zz.png", 7),
                         (b"a0.jpg", 9), (b"B.jpg", 0)])  # fmt: skip
    assert _names(index) == _names(rebuilt)
    assert index.name_of(7) == b"zz.png" and index.name_of(3) is None
    assert not index.apply([(b"zz.png", 7)], np.array([], dtype=np.int64))  # nothing changed
    assert index.apply([(b"y.png", 7)], np.array([4]))
    assert index.name_of(7) == b"y.png" and index.name_of(4) is None


def test_search_ignores_ascii_case_only_and_takes_text_literally():
    index = NameIndex(
        [(b"IMG_0012.JPG", 1), (b"img_0120.jpg", 2), (b"IMGX0012.jpg", 3),
         ("Été.png".encode(), 4), ("été.png".encode(), 5), (b"100%.png", 6), (b"ab", 7)]
    )  # fmt: skip
    found = lambda text: sorted(index.containing(text).tolist())  # noqa: E731
    assert found("img_0012") == [1]  # "_" is a literal underscore, not LIKE's any-character
    assert found("0012.j") == [1, 3]
    assert found("Été") == [4] and found("été") == [5]  # non-ASCII letters keep their case
    assert found("%") == [6] and found("0%.P") == [6]
    assert found("b\0") == [] and found("abc") == [] and found("j") == [1, 2, 3]
    assert found("") == [1, 2, 3, 4, 5, 6, 7]


def test_an_index_streamed_in_name_order_equals_one_built_from_pairs():
    rows = [("B.jpg", 1), ("a.jpg", 9), ("a.jpg", 7), ("a.jpg", 8), ("b.jpg", 3), ("é.png", 4)]
    streamed = NameIndex.from_sorted([rows[:2], rows[2:]])  # a tie run across two blocks
    built = NameIndex([(name.encode(), i) for name, i in rows])
    assert _names(streamed) == _names(built)
    assert streamed.ids_in_order().tolist() == [1, 7, 8, 9, 3, 4]
    assert sorted(streamed.containing("A.J").tolist()) == [7, 8, 9]
