"""The per-photo values the gallery sorts and filters on, as numpy columns indexed by image id.

Each column is declared once (`ColumnSpec`: its name, compact dtype, the SQL that reads it for
one image row and the value that stands for NULL). Text columns are read as small integer codes
(CASE in SQL), so a whole row is numbers and a million of them load as arrays, not objects.
Status codes follow the statuses' alphabetical order, so sorting the codes sorts like SQL sorted
the text. A later per-photo value (a culling signal, the quick/full marker) is one more
`ColumnSpec` in `COLUMNS`, with its table in `JOINS` when it lives outside the image row.

Scores are float32: the model computes them in float32 (or less), so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, case, func
from sqlalchemy.orm import InstrumentedAttribute

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS
from humanaes_desktop.library.ratings import COLORS
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import ImageOrm, RatingOrm

# Status codes in the alphabetical order of the stored text (what ORDER BY status gave).
STATUS_NAMES: tuple[str, ...] = tuple(sorted(s.value for s in ImageStatus))
STATUS_CODE: dict[str, int] = {name: code for code, name in enumerate(STATUS_NAMES)}
NO_ROW = -1  # code of an id with no image row (never used, or deleted)
SCORE_KEYS: tuple[str, ...] = ("overall", "fast_score", *DIMENSION_KEYS)
SqlValue = ColumnElement[Any] | InstrumentedAttribute[Any]  # what a column's value is read by


@dataclass(frozen=True)
class ColumnSpec:
    """One column: `sql` selects its value for an image row; NULL becomes `null`."""

    name: str
    dtype: np.dtype
    sql: SqlValue
    null: float | int

    def empty(self, size: int) -> np.ndarray:
        """A column of `size` ids, all NULL."""
        return np.full(size, self.null, dtype=self.dtype)


def _coded(column: SqlValue, names: tuple[str, ...]) -> ColumnElement[Any]:
    return case({name: code for code, name in enumerate(names)}, value=column, else_=NO_ROW)


_F32, _F64 = np.dtype("float32"), np.dtype("float64")
_I8, _I16, _I32 = np.dtype("int8"), np.dtype("int16"), np.dtype("int32")

COLUMNS: list[ColumnSpec] = [
    ColumnSpec("status", _I8, _coded(ImageOrm.status, STATUS_NAMES), NO_ROW),
    ColumnSpec("folder_id", _I32, ImageOrm.folder_id, NO_ROW),
    ColumnSpec("level", _I8, _coded(ImageOrm.level, LEVELS), NO_ROW),
    *(ColumnSpec(key, _F32, getattr(ImageOrm, key), np.nan) for key in SCORE_KEYS),
    ColumnSpec("stars", _I8, ImageOrm.stars, 0),
    ColumnSpec("flag", _I8, ImageOrm.flag, 0),
    ColumnSpec("color", _I8, _coded(RatingOrm.color, COLORS), NO_ROW),
    ColumnSpec("captured_at", _F64, ImageOrm.captured_at, np.nan),
    ColumnSpec("mtime", _F64, ImageOrm.mtime, np.nan),
    # The current score's tiles (1: quick, more: full; 0: unscored): the filter bar's mix.
    ColumnSpec("max_tiles", _I16, func.coalesce(ImageOrm.max_tiles, 0), 0),
]

# Tables outside the image row that columns read, joined (outer) on their image id.
JOINS: list[tuple[type[RatingOrm], ColumnElement[bool]]] = [
    (RatingOrm, RatingOrm.image_id == ImageOrm.id)
]


def column_names() -> list[str]:
    """Every column's name, in COLUMNS order (the order of a loaded row after the id)."""
    return [spec.name for spec in COLUMNS]


def spec(name: str) -> ColumnSpec:
    """The declaration of one column."""
    for candidate in COLUMNS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no gallery column {name!r}")
