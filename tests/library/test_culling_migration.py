"""The culling step (first-pass signals, groups, embeddings: new tables only): a library from
just before it opens, is copied aside, keeps every photo, and gets its first pass."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from humanaes_desktop.library import Library
from humanaes_desktop.library.migrations import MIGRATIONS
from humanaes_desktop.library.schema import SCHEMA_VERSION
from tests.support.schema_shape import shape

# The version the culling step upgrades from: the one number to change when steps renumber.
BEFORE_CULLING = 7
V1_FIXTURE = Path(__file__).with_name("fixtures") / "library_v1.sqlite3"
CULLING_TABLES = {"photo_signals", "photo_groups", "photo_embeddings"}


def _library_before_culling(target: Path) -> Path:
    """The v1 fixture upgraded by the real steps up to BEFORE_CULLING, and no further."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(V1_FIXTURE, target)
    engine = create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        for step in range(1, BEFORE_CULLING):
            MIGRATIONS[step](conn)
        conn.exec_driver_sql(f"UPDATE schema_meta SET version = {BEFORE_CULLING}")
    engine.dispose()
    return target


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as conn:
        (value,) = conn.execute(sql).fetchone()
    conn.close()
    return value


def test_a_library_from_before_culling_gets_empty_culling_tables_and_keeps_its_photos(tmp_path):
    assert SCHEMA_VERSION > BEFORE_CULLING
    path = _library_before_culling(tmp_path / "old" / "library.sqlite3")
    assert not CULLING_TABLES & set(shape(path)["columns"])
    images = _count(path, "SELECT count(*) FROM images")
    assert images > 0
    with Library.open(path) as library:
        waiting = library.count_first_pass_waiting("haar/test")
        tasks = library.first_pass_tasks("haar/test", 100)
    with Library.open(tmp_path / "fresh.sqlite3"):
        pass
    assert shape(path) == shape(tmp_path / "fresh.sqlite3")
    assert len(list(path.parent.glob(f"library.sqlite3.v{BEFORE_CULLING}-backup-*"))) == 1
    assert _count(path, "SELECT count(*) FROM images") == images
    for table in CULLING_TABLES:
        assert _count(path, f"SELECT count(*) FROM {table}") == 0
    # Every photo that can be read waits for its first pass, as in a library made today.
    assert waiting == len(tasks) > 0
