"""What each gallery sort key sorts by, over the arrays, and which columns it reads.

The same keys as the SQL path (queries.SORT_KEYS): the scores and dimensions, level (which
sorts by the overall score, as its bands do), capture time, modification time, stars, status,
the file name (the NameIndex's own order) and "your taste" — a weighted sum of the score
columns (taste_store.TASTE_FEATURES), computed here from the arrays, never stored per photo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from humanaes_desktop.library.arrays.columns import SCORE_KEYS
from humanaes_desktop.library.arrays.table import PhotoTable
from humanaes_desktop.library.taste_store import TASTE_FEATURES


@dataclass(frozen=True)
class ArraySortKey:
    """A sort key: its cached order's name and the columns its values depend on."""

    order_name: str  # keys sorting alike share an order ("level" uses "overall")
    columns: tuple[str, ...]


_KEYS: dict[str, ArraySortKey] = {
    **{key: ArraySortKey(key, (key,)) for key in SCORE_KEYS},
    "level": ArraySortKey("overall", ("overall",)),
    **{key: ArraySortKey(key, (key,)) for key in ("captured_at", "mtime", "stars", "status")},
    "file_name": ArraySortKey("file_name", ()),  # the NameIndex keeps this order itself
    "taste": ArraySortKey("taste", tuple(f for f in TASTE_FEATURES)),
}


def has_array_sort(key: str) -> bool:
    """Whether the arrays sort by `key` (a key only SQL knows is sorted there)."""
    return key in _KEYS


def array_sort_key(key: str) -> ArraySortKey:
    """The sort key `key` (ValueError, as the SQL path, for an unknown one)."""
    try:
        return _KEYS[key]
    except KeyError:
        raise ValueError(f"unknown sort key {key!r}; expected one of {tuple(_KEYS)}") from None


def orders_reading(column: str) -> list[str]:
    """The cached orders whose values read `column`."""
    return sorted({k.order_name for k in _KEYS.values() if column in k.columns})


def column_values(table: PhotoTable, key: ArraySortKey) -> np.ndarray:
    """The values a (column) key sorts by, for every id."""
    return table.column(key.columns[0])


def taste_signature(document: dict) -> str:
    """What identifies a taste's values: its weights (a refit gives new ones)."""
    return json.dumps(document["column_weights"], sort_keys=True)


def taste_values(table: PhotoTable, document: dict, ids: np.ndarray | None = None) -> np.ndarray:
    """The taste utility of every photo, or of `ids` (NaN where unscored), in float32."""
    weights = document["column_weights"]
    total = np.zeros(table.size if ids is None else len(ids), dtype=np.float32)
    for name in TASTE_FEATURES:
        values = table.column(name) if ids is None else table.column(name)[ids]
        if name == "level":  # 0 bad .. 4 excellent, as the SQL expression's CASE
            values = np.where(values >= 0, values, np.nan).astype(np.float32)
        total += np.float32(weights[name]) * values
    return total
