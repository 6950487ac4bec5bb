"""The change log (schema v4): every write to a photo's row or rating, from any code path or
process, leaves the photo's id with the library's data_version at that write."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery
from tests.support.assessments import make_assessment

FIXTURE = Path(__file__).with_name("fixtures") / "library_v1.sqlite3"


def _log(path: Path) -> dict[int, int]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT image_id, seq FROM image_changes"))
    finally:
        conn.close()


def _version(lib: Library) -> int:
    return lib.data_version()


def test_writes_log_the_photo_with_the_version_they_ran_at(library, photo_dir):
    folder = library.add_folder(photo_dir)
    before_scan = _version(library)
    library.scan_folder(folder.id)
    log = _log(library.path)
    assert len(log) == 6 and all(seq >= before_scan for seq in log.values())
    photo = min(log)
    rating_at = _version(library)
    library.set_rating([photo], color="green")  # the rating table alone
    assert _log(library.path)[photo] == rating_at
    score_at = _version(library)
    library.record_assessment(photo, make_assessment(0.7))
    assert _log(library.path)[photo] == score_at
    assert all(seq < score_at for i, seq in _log(library.path).items() if i != photo)


def test_deleted_photos_stay_in_the_log_even_through_a_cascade(library, photo_dir):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    ids = set(_log(library.path))
    purge_at = _version(library)
    library.remove_folder(folder.id, purge=True)  # images go by ON DELETE CASCADE
    conn = sqlite3.connect(library.path)
    assert conn.execute("SELECT count(*) FROM images").fetchone() == (0,)
    conn.close()
    log = _log(library.path)
    assert set(log) == ids and all(seq == purge_at for seq in log.values())


def test_a_migrated_library_logs_its_writes(tmp_path):
    copy = tmp_path / "library.sqlite3"
    shutil.copy(FIXTURE, copy)
    with Library.open(copy) as lib:
        assert _log(copy) == {}  # nothing changed yet: the arrays load everything anyway
        (photo, *_) = lib.query_ids(GalleryQuery())
        lib.set_rating([photo], stars=2)
        assert photo in _log(copy)
