"""`PhotoTable`: the gallery columns of every photo, one numpy array per column, indexed by id.

Row i holds image i's values, so a sort result is a list of ids with no id → row map to keep.
SQLite gives a new image the largest id plus one, so the id range stays about as long as the
library (ids freed by purged photos are holes, marked by status NO_ROW). Arrays grow by half
again when a larger id arrives.
"""

from __future__ import annotations

import numpy as np

from humanaes_desktop.library.arrays.columns import COLUMNS, NO_ROW, ColumnSpec

_GROWTH = 1.5


def _differs(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Elementwise "the value changed", NULL (NaN) equal to NULL."""
    changed = old != new
    if old.dtype.kind == "f":
        changed &= ~(np.isnan(old) & np.isnan(new))
    return changed


class PhotoTable:
    """Columns of the ids 0..size-1; `write` and `clear` report which ids' values changed."""

    def __init__(self, size: int = 0, specs: list[ColumnSpec] | None = None) -> None:
        self._specs = list(COLUMNS if specs is None else specs)
        self._size = 0
        self._arrays = {spec.name: spec.empty(max(16, size)) for spec in self._specs}
        self.grow(size)

    @property
    def size(self) -> int:
        """One more than the largest id the table has room for."""
        return self._size

    def names(self) -> list[str]:
        """The column names."""
        return [spec.name for spec in self._specs]

    def column(self, name: str) -> np.ndarray:
        """The values of ids 0..size-1 (a view: read, never write)."""
        return self._arrays[name][: self._size]

    def present(self) -> np.ndarray:
        """True for ids that have an image row."""
        return self.column("status") != NO_ROW

    def count(self) -> int:
        """How many photos the table holds (any status)."""
        return int(np.count_nonzero(self.present()))

    def nbytes(self) -> int:
        """Memory held by the columns (capacity included)."""
        return sum(array.nbytes for array in self._arrays.values())

    def grow(self, size: int) -> None:
        """Make room for ids below `size`; new ids start with no row."""
        if size <= self._size:
            return
        capacity = len(self._arrays["status"])
        if size > capacity:
            capacity = max(size, int(capacity * _GROWTH))
            for spec in self._specs:
                bigger = spec.empty(capacity)
                bigger[: self._size] = self._arrays[spec.name][: self._size]
                self._arrays[spec.name] = bigger
        self._size = size

    def write(self, ids: np.ndarray, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Store rows (ids with one value per column each); returns, per column, the ids whose
        value changed."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return {}
        self.grow(int(ids.max()) + 1)
        changed = {}
        for spec in self._specs:
            array = self._arrays[spec.name]
            new = np.asarray(values[spec.name]).astype(spec.dtype, copy=False)
            differs = _differs(array[ids], new)
            if differs.any():
                changed[spec.name] = ids[differs]
                array[ids] = new
        return changed

    def clear(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """The photos are gone (deleted rows): every column back to NULL; returns what changed."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[ids < self._size]
        nulls = {spec.name: np.full(ids.size, spec.null, dtype=spec.dtype) for spec in self._specs}
        return self.write(ids, nulls)
