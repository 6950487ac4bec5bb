"""Opening an older library (one fixture per past schema version): it is copied aside, migrated
for real, and nothing is lost."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.errors import UserError
from humanaes_desktop.library import Library
from humanaes_desktop.library.migrations import NewerSchemaError
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus
from humanaes_desktop.library.schema import SCHEMA_VERSION
from tests.support.schema_shape import dump as _dump
from tests.support.schema_shape import shape as _shape

FIXTURES = Path(__file__).with_name("fixtures")
FIXTURE = FIXTURES / "library_v1.sqlite3"
PAST_VERSIONS = (1, 2, 3)


@pytest.fixture
def v1_copy(tmp_path) -> Path:
    target = tmp_path / "old" / "library.sqlite3"
    target.parent.mkdir()
    shutil.copy(FIXTURE, target)
    return target


@pytest.mark.parametrize("version", PAST_VERSIONS)
def test_old_library_is_backed_up_and_migrated_to_the_current_shape(version, tmp_path):
    old = tmp_path / "old" / "library.sqlite3"
    old.parent.mkdir()
    shutil.copy(FIXTURES / f"library_v{version}.sqlite3", old)
    original = _dump(old)
    with Library.open(old):
        pass
    backups = list(old.parent.glob(f"library.sqlite3.v{version}-backup-*"))
    assert len(backups) == 1 and _dump(backups[0]) == original
    with Library.open(tmp_path / "fresh.sqlite3"):
        pass
    assert _shape(old) == _shape(tmp_path / "fresh.sqlite3")
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT version FROM schema_meta").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_v1_library_gains_colour_labels(v1_copy):
    assert "color" not in _shape(v1_copy)["columns"]["ratings"]
    Library.open(v1_copy).close()
    assert "color" in _shape(v1_copy)["columns"]["ratings"]


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


@pytest.mark.parametrize("version", (2, 3))
def test_older_library_keeps_scores_and_jobs_and_says_which_scores_are_quick(version, tmp_path):
    old = tmp_path / "library.sqlite3"
    shutil.copy(FIXTURES / f"library_v{version}.sqlite3", old)
    with Library.open(old) as lib:
        everything = GalleryQuery(sort_key="file_name", statuses=frozenset(ImageStatus))
        rows = {r.file_name: r for r in lib.rows(lib.query_ids(everything))}
        assert rows["portrait.jpg"].profile_kind is ProfileKind.FULL
        assert rows["one_tile.jpg"].profile_kind is ProfileKind.QUICK
        assert rows["one_tile.jpg"].overall == 0.47
        assert rows["queued.jpg"].profile_kind is None
        assert rows["portrait.jpg"].rating.color == "green"
        assert lib.requeue_interrupted() == 1  # the job the crash left running
        assert lib.queue_counts().queued == 3
        key = "synthetic/tiny@local#0000000000000000"
        quick, full = "tiles=1;size=448;decode=exact", "tiles=12;size=448;decode=exact"
        claimed = lib.claim_jobs(3, key, full, quick)
        # The user's request first (straight to its full pass), then the quick passes, newest
        # first; the 1-tile image has no job, and one is added only on asking for upgrades.
        assert [(rows_by_id(rows)[j.image_id], j.quick) for j in claimed] == [
            ("portrait.jpg", False),
            ("running.jpg", True),
            ("queued.jpg", True),
        ]
        assert lib.queue_upgrades() == 1
        assert lib.queue_counts().awaiting_full == 1
    if version >= 3:  # the taste model learnt before is still there
        with sqlite3.connect(old) as conn:
            assert conn.execute("SELECT ratings FROM taste_model").fetchall() == [(31,)]
        conn.close()


def rows_by_id(rows: dict) -> dict[int, str]:
    return {row.id: name for name, row in rows.items()}
