"""Scanning real folders: new, unchanged, changed, moved, deleted, returned, bad and odd files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus, ScanReport
from tests.support.libraries import score_all
from tests.support.photos import PHOTOS_DIR, sample_photos

ALL = GalleryQuery(sort_key="file_name", descending=False, statuses=frozenset(ImageStatus))


def _by_name(library: Library) -> dict:
    return {row.file_name: row for row in library.rows(library.query_ids(ALL))}


def test_first_scan_queues_every_photo_with_header_info(library, photo_dir):
    folder = library.add_folder(photo_dir)
    seen_progress = []
    report = library.scan_folder(folder.id, progress=lambda done, total: seen_progress.append(done))
    assert report == ScanReport(added=6)
    assert seen_progress[0] == 0 and seen_progress[-1] == 6
    rows = _by_name(library)
    assert set(rows) == {p.name for p in sample_photos()}
    assert rows["rocket.jpg"].path == str(photo_dir / "trip" / "rocket.jpg")
    assert (rows["astronaut.png"].width, rows["astronaut.png"].height) == (512, 512)
    assert library.queue_counts().queued == 6
    assert library.folders()[0].image_count == 6


def test_unchanged_rescan_reads_nothing_and_changes_nothing(library, photo_dir, monkeypatch):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    version = library.data_version()

    def no_reading(*_args, **_kwargs):
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr("humanaes_desktop.library.ingest.fingerprint", no_reading)
    monkeypatch.setattr("humanaes_desktop.library.ingest.read_header", no_reading)
    assert library.scan_folder(folder.id) == ScanReport(unchanged=6)
    assert library.data_version() == version


def test_renamed_and_moved_files_keep_scores_and_ratings(library, photo_dir):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    given = score_all(library)
    chelsea = _by_name(library)["chelsea.png"]
    library.set_rating([chelsea.id], stars=4, flag=Flag.PICKED, color="green")
    (photo_dir / "cats").mkdir()
    os.rename(photo_dir / "chelsea.png", photo_dir / "cats" / "kitty.png")
    report = library.scan_folder(folder.id)
    assert (report.moved, report.missing, report.added) == (1, 0, 0)
    kitty = _by_name(library)["kitty.png"]
    assert kitty.id == chelsea.id
    assert kitty.overall == given["chelsea.png"]
    assert (kitty.rating.stars, kitty.rating.flag, kitty.rating.color) == (4, Flag.PICKED, "green")
    assert library.queue_counts().queued == 0


def test_modified_file_is_requeued_and_keeps_its_rating(library, photo_dir):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    score_all(library)
    coffee = _by_name(library)["coffee.png"]
    library.set_rating([coffee.id], stars=2)
    shutil.copyfile(PHOTOS_DIR / "astronaut.png", photo_dir / "coffee.png")  # new content
    assert library.scan_folder(folder.id).changed == 1
    row = _by_name(library)["coffee.png"]
    assert (row.id, row.status, row.overall, row.rating.stars) == (
        coffee.id,
        ImageStatus.QUEUED,
        None,
        2,
    )
    assert row.width == 512  # header re-read
    assert library.queue_counts().queued == 1


def test_touched_file_with_same_content_is_not_requeued(library, photo_dir):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    score_all(library)
    os.utime(photo_dir / "camera.png", (1_700_000_000, 1_700_000_000))
    assert library.scan_folder(folder.id).unchanged == 6
    assert library.queue_counts().queued == 0


def test_deleted_file_becomes_missing_and_returns_with_its_scores(library, photo_dir, tmp_path):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    given = score_all(library)
    shutil.move(photo_dir / "camera.png", tmp_path / "camera.png")
    assert library.scan_folder(folder.id).missing == 1
    assert "camera.png" not in {
        r.file_name for r in library.rows(library.query_ids(GalleryQuery()))
    }
    assert _by_name(library)["camera.png"].status is ImageStatus.MISSING
    shutil.move(tmp_path / "camera.png", photo_dir / "camera.png")
    assert library.scan_folder(folder.id).restored == 1
    row = _by_name(library)["camera.png"]
    assert (row.status, row.overall) == (ImageStatus.SCORED, given["camera.png"])


def test_bad_unsupported_hidden_and_partial_files(library, photo_dir):
    (photo_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (photo_dir / "empty.png").write_bytes(b"")
    (photo_dir / "drawing.psd").write_bytes(b"8BPS" + bytes(100))
    (photo_dir / ".hidden.jpg").write_bytes((PHOTOS_DIR / "rocket.jpg").read_bytes())
    (photo_dir / "download.jpg.part").write_bytes(b"partial")
    (photo_dir / "notes.txt").write_text("not a photo")
    (photo_dir / ".thumbnails").mkdir()
    shutil.copy(PHOTOS_DIR / "rocket.jpg", photo_dir / ".thumbnails" / "r.jpg")
    folder = library.add_folder(photo_dir)
    report = library.scan_folder(folder.id)
    assert (report.added, report.failed, report.unsupported) == (6, 2, 1)
    rows = _by_name(library)
    assert rows["broken.jpg"].status is ImageStatus.FAILED and rows["broken.jpg"].failure_reason
    assert "empty" in rows["empty.png"].failure_reason
    assert rows["drawing.psd"].status is ImageStatus.UNSUPPORTED
    assert "not supported" in rows["drawing.psd"].failure_reason
    assert len(rows) == 9 and library.queue_counts().queued == 6


def test_symlink_loop_does_not_hang_the_scan(library, photo_dir):
    os.symlink(photo_dir, photo_dir / "trip" / "loop")
    folder = library.add_folder(photo_dir)
    assert library.scan_folder(folder.id).added == 6


def test_vanished_folder_marks_images_missing_and_recovers(library, photo_dir, tmp_path):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    score_all(library)
    shutil.move(photo_dir, tmp_path / "unmounted")
    assert library.scan_folder(folder.id) == ScanReport(missing=6)
    assert library.folders()[0].available is False
    assert library.status_counts()[ImageStatus.MISSING] == 6
    shutil.move(tmp_path / "unmounted", photo_dir)
    assert library.scan_folder(folder.id).restored == 6
    assert library.folders()[0].available is True
    assert library.status_counts()[ImageStatus.SCORED] == 6
    # The watcher's cheap listing: the same folders and availability, no count.
    (listed,) = library.folders(with_counts=False)
    assert (listed.id, listed.path, listed.available, listed.image_count) == (
        folder.id,
        str(photo_dir),
        True,
        0,
    )


def test_folder_rules_and_removal_without_losing_ratings(library, photo_dir, tmp_path):
    folder = library.add_folder(photo_dir)
    for refused in (photo_dir / "trip", tmp_path, tmp_path / "nope", PHOTOS_DIR / "rocket.jpg"):
        try:
            library.add_folder(refused)
        except Exception as exc:  # noqa: BLE001 - the type is asserted below
            assert isinstance(exc, __import__("humanaes_desktop.errors").errors.UserError)
            assert str(exc)
        else:
            raise AssertionError(f"{refused} was accepted")
    library.scan_folder(folder.id)
    rocket = _by_name(library)["rocket.jpg"]
    library.set_rating([rocket.id], stars=5)
    library.remove_folder(folder.id)
    assert library.folders() == [] and library.query_ids(GalleryQuery()) == []
    again = library.add_folder(photo_dir)
    library.scan_folder(again.id)
    assert _by_name(library)["rocket.jpg"].rating.stars == 5
    library.remove_folder(again.id, purge=True)
    assert _by_name(library) == {}


def test_moved_between_watched_folders_by_rescan(library, photo_dir, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    first, second = library.add_folder(photo_dir), library.add_folder(other)
    library.scan_all()
    score_all(library)
    rocket = _by_name(library)["rocket.jpg"]
    shutil.move(photo_dir / "trip" / "rocket.jpg", other / "rocket.jpg")
    library.scan_folder(first.id)  # the old place first: it becomes missing …
    assert library.scan_folder(second.id).moved == 1  # … and is found again by fingerprint
    moved = _by_name(library)["rocket.jpg"]
    assert (moved.id, moved.folder_id, moved.status) == (rocket.id, second.id, ImageStatus.SCORED)


def test_default_path_honours_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    with Library.open() as lib:
        assert lib.path == (tmp_path / "data" / "library.sqlite3").resolve()
    assert Path(tmp_path / "data" / "library.sqlite3").is_file()


def test_scan_racing_the_watcher_neither_crashes_nor_loses_a_renamed_photo(
    library, photo_dir, monkeypatch
):
    """At startup the watcher applies events while the scan runs; the scan must not trust its
    snapshot of the rows (duplicate insert, or marking a just-renamed image missing)."""
    from humanaes_desktop.library import scan

    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    given = score_all(library)
    real_walk = scan.walk_folder

    def walk_while_the_watcher_works(path):
        os.rename(photo_dir / "coffee.png", photo_dir / "espresso.png")
        shutil.copy(PHOTOS_DIR / "camera.png", photo_dir / "camera_copy.png")
        library.apply_fs_changes(
            moved=[(str(photo_dir / "coffee.png"), str(photo_dir / "espresso.png"))],
            created=[str(photo_dir / "camera_copy.png")],
        )
        yield from real_walk(path)

    monkeypatch.setattr(scan, "walk_folder", walk_while_the_watcher_works)
    report = library.scan_folder(folder.id)
    assert report.missing == 0 and report.added == 0
    rows = _by_name(library)
    assert rows["espresso.png"].status is ImageStatus.SCORED
    assert rows["espresso.png"].overall == given["coffee.png"]
    assert rows["camera_copy.png"].status is ImageStatus.QUEUED
    assert "coffee.png" not in rows


def test_missing_photo_returning_beside_a_copy_of_itself_keeps_both(library, photo_dir, tmp_path):
    """The copy must not take the returning original's row (which then left the copy out)."""
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    score_all(library)
    original = photo_dir / "trip" / "rocket.jpg"
    shutil.move(original, tmp_path / "rocket.jpg")
    assert library.scan_folder(folder.id).missing == 1
    shutil.move(tmp_path / "rocket.jpg", original)
    shutil.copy2(original, photo_dir / "a_copy_of_rocket.jpg")  # probed before the original
    report = library.scan_folder(folder.id)
    rows = _by_name(library)
    assert (report.restored, report.added) == (1, 1)
    assert rows["rocket.jpg"].status is ImageStatus.SCORED
    assert rows["a_copy_of_rocket.jpg"].status is ImageStatus.QUEUED
