"""Sorted orders of the photo ids, one per sort key, kept up to date as values change.

A sort is then not a sort: the gallery's answer is the cached order filtered by the query's
mask (`order[mask[order]]`, two passes over the ids). An order lists every id ascending by
(value, id); ids whose value is NULL come last, by id — what the SQL path gives (NULLs last in
both directions, by id). Descending is the valid part reversed.

When a few values change (a score arrives, a rating, new photos) the order is repaired in
place of a re-sort: the changed ids are taken out and put back where binary search says, a
few passes over the ids instead of a sort. Changes are noted per key and applied when the
key is next asked for, so a key nobody sorts by costs nothing while scores stream in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# A repair touches every id a few times; beyond this share of changed ids a sort is cheaper.
_REPAIR_LIMIT = 1 / 8


@dataclass(frozen=True)
class SortedOrder:
    """`ids` ascending by (value, id), NULL values last (by id); the first `valid` have values."""

    ids: np.ndarray  # int32
    valid: int

    def ascending(self) -> np.ndarray:
        """The ids that have a value, smallest value first."""
        return self.ids[: self.valid]

    def nulls(self) -> np.ndarray:
        """The ids whose value is NULL, by id."""
        return self.ids[self.valid :]


def _nulls(values: np.ndarray) -> np.ndarray | None:
    return np.isnan(values) if values.dtype.kind == "f" else None


def sort_values(values: np.ndarray) -> SortedOrder:
    """The order of ids 0..len(values)-1 by value (a stable sort: ties and NULLs by id)."""
    ids = np.argsort(values, kind="stable").astype(np.int32)
    nulls = _nulls(values)
    return SortedOrder(
        ids, len(values) - (int(np.count_nonzero(nulls)) if nulls is not None else 0)
    )


def repaired(old: SortedOrder, values: np.ndarray, changed: np.ndarray) -> SortedOrder:
    """`old` with the `changed` ids (and every id beyond the old order) moved to where their
    current `values` put them."""
    size = len(values)
    changed = np.union1d(np.asarray(changed, dtype=np.int64), np.arange(len(old.ids), size))
    moved = np.zeros(size, dtype=bool)
    moved[changed] = True
    stays = ~moved[old.ids]
    kept = old.ids[: old.valid][stays[: old.valid]]
    kept_nulls = old.ids[old.valid :][stays[old.valid :]]
    new_values = values[changed]
    nulls = _nulls(new_values)
    has_value = ~nulls if nulls is not None else np.ones(changed.size, dtype=bool)
    ids, vals = changed[has_value], new_values[has_value]
    by_value = np.lexsort((ids, vals))
    ids, vals = ids[by_value], vals[by_value]
    slots = _slots(kept, values[kept], ids, vals)
    ordered = np.insert(kept, slots, ids.astype(np.int32))
    null_ids = changed[~has_value]  # ascending already (union1d sorts)
    ordered_nulls = np.insert(kept_nulls, np.searchsorted(kept_nulls, null_ids), null_ids)
    return SortedOrder(np.concatenate([ordered, ordered_nulls]).astype(np.int32), len(ordered))


def _slots(kept: np.ndarray, kept_values: np.ndarray, ids: np.ndarray, vals: np.ndarray):
    """Where each (value, id) goes in `kept`, sorted by (value, id)."""
    slots = np.searchsorted(kept_values, vals, side="left")
    ends = np.searchsorted(kept_values, vals, side="right")
    for j in np.flatnonzero(ends > slots):  # ties with kept values: place by id among them
        slots[j] += np.searchsorted(kept[slots[j] : ends[j]], ids[j])
    return slots


class SortOrders:
    """Cached orders by key; `changed(key, ids)` notes values that moved."""

    def __init__(self) -> None:
        self._orders: dict[str, SortedOrder] = {}
        self._pending: dict[str, list[np.ndarray]] = {}

    def cached(self) -> list[str]:
        """The keys that have an order."""
        return list(self._orders)

    def nbytes(self) -> int:
        """Memory held by the orders."""
        return sum(order.ids.nbytes for order in self._orders.values())

    def changed(self, key: str, ids: np.ndarray) -> None:
        """The values of these ids changed for `key` (repaired when the key is next used)."""
        if key in self._orders and len(ids):
            self._pending.setdefault(key, []).append(np.asarray(ids))

    def forget(self, key: str) -> None:
        """Drop an order (its values changed wholesale)."""
        self._orders.pop(key, None)
        self._pending.pop(key, None)

    def grew(self) -> None:
        """The table has room for more ids: every order takes them in when next used."""
        for key in self._orders:
            self._pending.setdefault(key, [])

    def get(self, key: str, values: Callable[[], np.ndarray]) -> SortedOrder:
        """The order for `key`, built or repaired from `values()` (every id's value) if needed."""
        order = self._orders.get(key)
        pending = self._pending.pop(key, None)
        if order is not None and pending is None:
            return order
        current = values()
        if order is not None:
            changed = np.unique(np.concatenate(pending)) if pending else np.empty(0, np.int64)
            moving = changed.size + len(current) - len(order.ids)
            order = (
                repaired(order, current, changed)
                if moving <= len(current) * _REPAIR_LIMIT
                else None
            )
        if order is None:
            order = sort_values(current)
        self._orders[key] = order
        return order
