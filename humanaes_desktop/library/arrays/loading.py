"""Reading the gallery columns out of SQLite: all of them at start-up, the changed ones later.

Rows come straight off the DBAPI cursor in blocks and are turned into arrays a block at a time
(`np.array` over a block of number tuples), so a million photos never exist as Python objects
all at once. Each read runs in one read transaction: the data_version read with it says
exactly which writes it includes, and the change log (`image_changes`, filled by triggers) says
what happened after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Select, func, select

from humanaes_desktop.library.arrays import columns
from humanaes_desktop.library.arrays.names import NameIndex
from humanaes_desktop.library.arrays.table import PhotoTable
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.schema import ImageChangeOrm, ImageOrm, SchemaMeta

BLOCK = 50_000  # rows turned into arrays at a time
_IN_CHUNK = 5_000  # ids per "WHERE id IN (...)" when reading changed rows
Progress = Callable[[int, int], None]


@dataclass
class Snapshot:
    """Every photo's columns and names as of `version`."""

    version: int
    table: PhotoTable
    names: NameIndex


@dataclass
class Changes:
    """What changed after some version, read as of `version`."""

    version: int
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # rows still there
    values: dict[str, np.ndarray] = field(default_factory=dict)  # their columns
    names: list[tuple[bytes, int]] = field(default_factory=list)  # their names
    gone: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # deleted rows

    def __len__(self) -> int:
        return len(self.ids) + len(self.gone)


def _rows_statement(*extra) -> Select:
    statement = select(ImageOrm.id, *(spec.sql for spec in columns.COLUMNS), *extra)
    statement = statement.select_from(ImageOrm)
    for table, on in columns.JOINS:
        statement = statement.outerjoin(table, on)
    return statement


def _blocks(session, statement: Select) -> Iterator[Sequence[Any]]:
    # The DBAPI cursor itself: SQLAlchemy's row processing would double the cost.
    cursor: Any = session.connection().execute(statement).cursor
    while rows := cursor.fetchmany(BLOCK):
        yield rows


def _split(block: np.ndarray, first: int = 1) -> dict[str, np.ndarray]:
    names = columns.column_names()
    return {name: block[:, first + i] for i, name in enumerate(names)}


def data_version(session) -> int:
    """The library's write counter as this read transaction sees it."""
    return session.scalar(select(SchemaMeta.data_version)) or 0


def read_everything(db: Database, progress: Progress | None = None) -> Snapshot:
    """Every photo's columns and names (progress(done, total) after each block)."""
    with db.read() as session:
        version = data_version(session)
        largest = session.scalar(select(func.max(ImageOrm.id))) or 0
        total = session.scalar(select(func.count()).select_from(ImageOrm)) or 0
        table = PhotoTable(largest + 1)
        done = 0
        if progress is not None:
            progress(0, total)
        for rows in _blocks(session, _rows_statement().order_by(ImageOrm.id)):
            block = np.array(rows, dtype=np.float64)
            table.write(block[:, 0].astype(np.int64), _split(block))
            done += len(rows)
            if progress is not None:
                progress(done, total)
        # In name order straight from the file-name sort index (BINARY: UTF-8 byte order).
        by_name = select(ImageOrm.file_name, ImageOrm.id).order_by(ImageOrm.file_name)
        names = NameIndex.from_sorted(_blocks(session, by_name))
    return Snapshot(version, table, names)


def read_changes(db: Database, since: int, limit: int) -> Changes | None:
    """The photos written after version `since`; None when more than `limit` changed (reading
    everything again is then cheaper)."""
    with db.read() as session:
        version = data_version(session)
        if version == since:
            return Changes(version)
        changed = select(ImageChangeOrm.image_id).where(ImageChangeOrm.seq >= since)
        ids = [image_id for rows in _blocks(session, changed) for (image_id,) in rows]
        if len(ids) > limit:
            return None
        return _changed_rows(session, version, ids)


def _changed_rows(session, version: int, ids: Sequence[int]) -> Changes:
    found: list[Sequence[Any]] = []
    names: list[tuple[bytes, int]] = []
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        statement = _rows_statement(ImageOrm.file_name).where(ImageOrm.id.in_(chunk))
        for rows in _blocks(session, statement):
            found += [row[:-1] for row in rows]
            names += [(row[-1].encode("utf-8"), row[0]) for row in rows]
    block = np.array(found, dtype=np.float64).reshape(len(found), len(columns.COLUMNS) + 1)
    present = block[:, 0].astype(np.int64)
    gone = np.setdiff1d(np.asarray(ids, dtype=np.int64), present)
    return Changes(version, present, _split(block), names, gone)
