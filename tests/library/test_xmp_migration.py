"""Schema 3 -> 4 (the sidecar sync's tables): an older library opens, is copied aside, and every
photo rated before the upgrade owes its sidecar."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from humanaes_desktop.library import Library
from humanaes_desktop.library.migrations import MIGRATIONS
from humanaes_desktop.library.schema import SCHEMA_VERSION

V1_FIXTURE = Path(__file__).with_name("fixtures") / "library_v1.sqlite3"


def _v3_library(target: Path) -> Path:
    """A version-3 library: the v1 fixture upgraded by the real v1 -> v2 -> v3 steps only."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(V1_FIXTURE, target)
    engine = create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        MIGRATIONS[1](conn)
        MIGRATIONS[2](conn)
        conn.exec_driver_sql("UPDATE schema_meta SET version = 3")
    engine.dispose()
    return target


def test_a_version_3_library_gets_the_sync_tables_and_owes_its_rated_sidecars(tmp_path):
    assert SCHEMA_VERSION >= 4  # opening runs this step and every later one
    path = _v3_library(tmp_path / "old" / "library.sqlite3")
    with sqlite3.connect(path) as conn:
        rated = {r[0] for r in conn.execute("SELECT image_id FROM ratings WHERE stars OR flag")}
    conn.close()
    assert rated
    with Library.open(path) as library:
        status = library.sidecars.status()
        assert status.pending == len(rated) and status.conflicts == 0
        assert library.sidecars.settings().enabled
    assert len(list(path.parent.glob("library.sqlite3.v3-backup-*"))) == 1
    with sqlite3.connect(path) as conn:
        pending = {r[0] for r in conn.execute("SELECT image_id FROM xmp_sync WHERE pending")}
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert pending == rated


def test_purging_a_photo_removes_its_sync_rows(tmp_path):
    from tests.support.xmp import library_with_photos

    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"])
    with library:
        library.set_rating(list(ids.values()), stars=2)
        library.sidecars.flush()
        (folder / "a.jpg").unlink()
        library.scan_all()
        assert library.purge_missing() == 1
        assert library.sidecars.status().sidecars == 0 and library.sidecars.status().pending == 0
