"""Every past schema version opens: version 2's fixture, and version 1's step on its own.

When a later version adds a migration step, opening the version-2 fixture runs it for real; the
shape it must reach is always a freshly created library's.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from humanaes_desktop.library import Library
from humanaes_desktop.library.migrations import MIGRATIONS
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus
from humanaes_desktop.library.schema import SCHEMA_VERSION
from tests.support.schema_shape import dump as _dump
from tests.support.schema_shape import shape as _shape

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture
def v2_copy(tmp_path) -> Path:
    target = tmp_path / "old" / "library.sqlite3"
    target.parent.mkdir()
    shutil.copy(FIXTURES / "library_v2.sqlite3", target)
    return target


def test_v2_library_opens_in_the_current_shape_with_everything_kept(v2_copy, tmp_path):
    original = _dump(v2_copy)
    with Library.open(v2_copy) as lib:
        everything = GalleryQuery(sort_key="file_name", statuses=frozenset(ImageStatus))
        rows = {r.file_name: r for r in lib.rows(lib.query_ids(everything))}
        portrait = rows["portrait.jpg"]
        assert (portrait.overall, portrait.level) == (0.66, "good")
        assert (portrait.rating.stars, portrait.rating.flag, portrait.rating.color) == (
            4,
            Flag.PICKED,
            "green",
        )
        assert lib.detail(portrait.id).assessment.annotation == "A bright portrait."
        cut = rows["cut.png"]
        assert cut.status is ImageStatus.FAILED and "damaged" in cut.failure_reason
        assert (cut.rating.flag, cut.rating.color) == (Flag.REJECTED, "red")
        assert rows["gone.png"].status is ImageStatus.MISSING
        assert lib.queue_counts().queued == 1
        picked = lib.query_ids(GalleryQuery(flags=frozenset({Flag.PICKED})))
        assert picked == [portrait.id]  # the image rows' copy of the flag is used
    with Library.open(tmp_path / "fresh.sqlite3"):
        pass
    assert _shape(v2_copy) == _shape(tmp_path / "fresh.sqlite3")
    backups = list(v2_copy.parent.glob("library.sqlite3.v2-backup-*"))
    if SCHEMA_VERSION > 2:  # migrated: the untouched original is kept aside
        assert len(backups) == 1 and _dump(backups[0]) == original
    else:
        assert backups == []


def test_the_v1_step_alone_gives_exactly_version_2(tmp_path):
    """MIGRATIONS[1] reaches the frozen v2 fixture's shape, whatever later versions add."""
    migrated = tmp_path / "v1.sqlite3"
    shutil.copy(FIXTURES / "library_v1.sqlite3", migrated)
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{migrated}")
    with engine.begin() as conn:
        MIGRATIONS[1](conn)
    engine.dispose()
    assert _shape(migrated) == _shape(FIXTURES / "library_v2.sqlite3")
    with sqlite3.connect(migrated) as conn:
        copied = conn.execute("SELECT id, stars, flag FROM images ORDER BY id").fetchall()
    conn.close()
    assert copied == [(1, 4, 1), (2, 0, 0), (3, 0, 0)]  # ratings copied; unrated get 0
