"""Opening a schema-version-1 library: it is copied aside, migrated for real, and nothing is lost."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from humanaes_desktop.errors import UserError
from humanaes_desktop.library import Library
from humanaes_desktop.library.migrations import NewerSchemaError
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus
from humanaes_desktop.library.schema import SCHEMA_VERSION
from tests.support.schema_shape import dump as _dump
from tests.support.schema_shape import shape as _shape

FIXTURE = Path(__file__).with_name("fixtures") / "library_v1.sqlite3"


@pytest.fixture
def v1_copy(tmp_path) -> Path:
    target = tmp_path / "old" / "library.sqlite3"
    target.parent.mkdir()
    shutil.copy(FIXTURE, target)
    return target


def test_v1_library_is_backed_up_and_migrated_to_the_current_shape(v1_copy, tmp_path):
    original = _dump(v1_copy)
    assert "color" not in _shape(v1_copy)["columns"]["ratings"]
    with Library.open(v1_copy):
        pass
    backups = list(v1_copy.parent.glob("library.sqlite3.v1-backup-*"))
    assert len(backups) == 1 and _dump(backups[0]) == original
    with Library.open(tmp_path / "fresh.sqlite3"):
        pass
    assert _shape(v1_copy) == _shape(tmp_path / "fresh.sqlite3")
    with sqlite3.connect(v1_copy) as conn:
        assert conn.execute("SELECT version FROM schema_meta").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_migrated_library_keeps_scores_ratings_and_queue(v1_copy):
    with Library.open(v1_copy) as lib:
        everything = GalleryQuery(sort_key="file_name", statuses=frozenset(ImageStatus))
        rows = {r.file_name: r for r in lib.rows(lib.query_ids(everything))}
        portrait = rows["portrait.jpg"]
        assert portrait.path == "/photos/shoot/day1/portrait.jpg"
        assert (portrait.overall, portrait.level, portrait.synthetic) == (0.66, "good", True)
        assert (portrait.rating.stars, portrait.rating.flag, portrait.rating.color) == (
            4,
            Flag.PICKED,
            None,
        )
        detail = lib.detail(portrait.id)
        assert detail.assessment.timings == {"vision_s": 1.5}
        assert detail.assessment.attention == ""  # stored before it was recorded (v6)
        assert detail.assessment.model.synthetic is True
        assert rows["gone.png"].status is ImageStatus.MISSING
        assert lib.queue_counts().queued == 1
        lib.set_rating([portrait.id], color="purple")  # the new column works
        assert lib.rows([portrait.id])[0].rating.color == "purple"
        by_capture = lib.query_ids(GalleryQuery(sort_key="captured_at"))
        assert by_capture[0] == portrait.id


def test_reopening_a_migrated_library_does_not_migrate_again(v1_copy):
    Library.open(v1_copy).close()
    Library.open(v1_copy).close()
    assert len(list(v1_copy.parent.glob("*-backup-*"))) == 1


def test_library_from_a_newer_version_is_refused_untouched(v1_copy):
    with sqlite3.connect(v1_copy) as conn:
        conn.execute("UPDATE schema_meta SET version = 99")
    conn.close()
    before = _dump(v1_copy)
    with pytest.raises(NewerSchemaError, match="newer"):
        Library.open(v1_copy)
    assert _dump(v1_copy) == before


def test_a_file_that_is_no_library_gives_a_user_error(tmp_path):
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_text("these are my notes, not a database" * 100)
    with pytest.raises(UserError, match="not a HumanAes library"):
        Library.open(bogus)
    assert bogus.read_text().startswith("these are my notes")


def test_an_impossible_place_gives_a_user_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(UserError, match="cannot be created"):
        Library.open(tmp_path / "a-file" / "library.sqlite3")
