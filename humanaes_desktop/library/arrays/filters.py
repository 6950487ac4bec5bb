"""A GalleryQuery's filters as one boolean mask over the photo ids (the SQL path's `_filtered`).

Each filter is a vectorised comparison on a compact column; small sets (levels, flags,
statuses) are lookup tables indexed by the code. A later filter (culling marks, "best of each
burst") is one more function in `EXTRA_FILTERS`: it gets the table and the query and returns a
mask, or None when the query does not use it; its field then joins `ARRAY_FIELDS`. Until it
does, a query that sets that field is answered in SQL (`uncovered` names it), so a filter the
gallery offers never gives another answer here than there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields

import numpy as np

from humanaes_desktop.engine.dimensions import LEVELS
from humanaes_desktop.library.arrays.columns import STATUS_CODE
from humanaes_desktop.library.arrays.names import NameIndex
from humanaes_desktop.library.arrays.table import PhotoTable
from humanaes_desktop.library.records import GalleryQuery, ImageStatus

ExtraFilter = Callable[[PhotoTable, GalleryQuery], "np.ndarray | None"]
EXTRA_FILTERS: list[ExtraFilter] = []

# The GalleryQuery fields answered here (the sort key's coverage is sort_keys.has_array_sort).
ARRAY_FIELDS: frozenset[str] = frozenset(
    {"sort_key", "descending", "folder_id", "levels", "min_overall", "flags", "min_stars"}
    | {"statuses", "text"}
)


def uncovered(query: GalleryQuery) -> list[str]:
    """The query's fields set to something other than their default that the mask cannot
    answer (a filter added to the SQL path only): empty when the arrays answer all of it."""
    missing = []
    for field in fields(query):
        if field.name in ARRAY_FIELDS:
            continue
        default = field.default if field.default_factory is MISSING else field.default_factory()
        if getattr(query, field.name) != default:
            missing.append(field.name)
    return missing


def _lookup(codes: np.ndarray, wanted: Iterable[int], offset: int = 0) -> np.ndarray:
    """codes ∈ wanted, through a 256-entry table (codes are int8; offset shifts negatives)."""
    table = np.zeros(256, dtype=bool)
    table[[code + offset for code in wanted]] = True
    return table[(codes.astype(np.int16) + offset) & 0xFF]


def _status_mask(table: PhotoTable, query: GalleryQuery) -> np.ndarray:
    status = table.column("status")
    if query.statuses:
        return _lookup(status, (STATUS_CODE[s.value] for s in query.statuses))
    present = status >= 0
    present &= status != STATUS_CODE[ImageStatus.MISSING.value]
    return present


def _level_mask(table: PhotoTable, levels: frozenset[str]) -> np.ndarray:
    unknown = set(levels) - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown levels {sorted(unknown)}; expected some of {LEVELS}")
    return _lookup(table.column("level"), (LEVELS.index(level) for level in levels))


def gallery_mask(table: PhotoTable, names: NameIndex, query: GalleryQuery) -> np.ndarray:
    """True for the ids the query shows (any order)."""
    mask = _status_mask(table, query)
    if query.folder_id is not None:
        mask &= table.column("folder_id") == query.folder_id
    if query.levels:
        mask &= _level_mask(table, query.levels)
    if query.min_overall is not None:
        mask &= table.column("overall") >= np.float32(query.min_overall)  # NULL (NaN) fails
    if query.flags:
        mask &= _lookup(table.column("flag"), (int(f) for f in query.flags), offset=1)
    if query.min_stars > 0:
        mask &= table.column("stars") >= query.min_stars
    if query.text:
        named = np.zeros(table.size, dtype=bool)
        named[names.containing(query.text)] = True
        mask &= named
    for extra in EXTRA_FILTERS:
        extra_mask = extra(table, query)
        if extra_mask is not None:
            mask &= extra_mask
    return mask
