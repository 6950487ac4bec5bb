"""SQLite engine setup and the unit-of-work helpers every library module uses.

Readers run concurrently (WAL); writers are serialised by one in-process lock and take SQLite's
write lock up front (`BEGIN IMMEDIATE`), so a write never fails half-way on a lock upgrade and
another process (a second `humanaes watch`) simply waits on `busy_timeout`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, update
from sqlalchemy.orm import Session

from humanaes_desktop.library.schema import SchemaMeta

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


def _configure_connection(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event decide how transactions start (pysqlite's own implicit
    # BEGIN would otherwise defer the write lock and break BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(path: Path, *, immediate: bool) -> Engine:
    """An engine on `path` with the library's pragmas; `immediate` engines begin write transactions."""
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=1 if immediate else 8,
        max_overflow=0 if immediate else 8,
    )
    event.listen(engine, "connect", _configure_connection)
    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql(begin_sql)

    return engine


def rows_affected(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE touched (Session.execute types every result
    as a plain Result; for these statements it is a CursorResult)."""
    return cast(CursorResult, result).rowcount or 0


def checkpoint(engine: Engine) -> None:
    """Fold the WAL into the main file (outside any transaction, as SQLite requires)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


class Database:
    """Owns the two engines (readers, the one writer) and hands out short sessions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read_engine = make_engine(path, immediate=False)
        self._write_engine = make_engine(path, immediate=True)
        self._write_lock = threading.RLock()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session on a consistent snapshot; closed (never committed) at the end."""
        with Session(self._read_engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A serialised write transaction; commits on success and bumps the data version."""
        with self._write_lock:
            with Session(self._write_engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
                    session.execute(
                        update(SchemaMeta).values(data_version=SchemaMeta.data_version + 1)
                    )

    def others_version(self) -> int:
        """A number that changes when another process commits to the file, and only then.

        SQLite's `PRAGMA data_version` changes for commits made by any *other* connection; this
        process writes through its one writer connection only, so asking that connection leaves
        our own writes out. Costs a few microseconds; never takes SQLite's write lock.
        """
        with self._write_lock:
            raw = self._write_engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA data_version")
                row = cursor.fetchone()
                cursor.close()
                assert row is not None  # the pragma always answers one row
                return int(row[0])
            finally:
                raw.close()

    @property
    def write_engine(self) -> Engine:
        return self._write_engine

    def close(self) -> None:
        """Checkpoint the WAL and release every connection."""
        with self._write_lock:
            try:
                checkpoint(self._write_engine)
            except Exception:  # closing must not fail because a reader still holds the WAL
                log.warning("WAL checkpoint on close failed", exc_info=True)
            self._read_engine.dispose()
            self._write_engine.dispose()
