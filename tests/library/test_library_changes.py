"""`Library.apply_fs_changes` on real files: the batch semantics the watcher relies on."""

from __future__ import annotations

import os
import shutil

from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus, Rating, ScanReport
from tests.support.libraries import score_all
from tests.support.photos import PHOTOS_DIR

ALL = GalleryQuery(sort_key="file_name", descending=False, statuses=frozenset(ImageStatus))


def _rows(lib) -> dict:
    return {row.path: row for row in lib.rows(lib.query_ids(ALL))}


def _scanned(lib, photo_dir):
    lib.scan_folder(lib.add_folder(photo_dir).id)
    score_all(lib)
    return _rows(lib)


def test_directory_rename_repoints_every_image_inside(library, photo_dir):
    before = _scanned(library, photo_dir)
    old, new = photo_dir / "trip", photo_dir / "trip-2024"
    os.rename(old, new)
    report = library.apply_fs_changes(moved=[(str(old), str(new))])
    assert report.moved == 1
    moved = _rows(library)[str(new / "rocket.jpg")]
    assert moved.id == before[str(old / "rocket.jpg")].id and moved.status is ImageStatus.SCORED


def test_finished_download_is_added_and_renamed_away_photo_goes_missing(library, photo_dir):
    _scanned(library, photo_dir)
    part = photo_dir / "portrait.jpg.crdownload"
    shutil.copy(PHOTOS_DIR / "grace_hopper.jpg", part)
    os.rename(part, photo_dir / "portrait.jpg")
    report = library.apply_fs_changes(moved=[(str(part), str(photo_dir / "portrait.jpg"))])
    assert report.added == 1
    os.rename(photo_dir / "camera.png", photo_dir / "camera.png.bak")
    report = library.apply_fs_changes(
        moved=[(str(photo_dir / "camera.png"), str(photo_dir / "camera.png.bak"))]
    )
    assert report.missing == 1
    assert _rows(library)[str(photo_dir / "camera.png")].status is ImageStatus.MISSING


def test_move_onto_an_existing_photo_replaces_it_keeping_both_ratings(library, photo_dir):
    before = _scanned(library, photo_dir)
    src, dst = photo_dir / "coffee.png", photo_dir / "chelsea.png"
    library.set_rating([before[str(src)].id], stars=2)
    library.set_rating([before[str(dst)].id], flag=1, color="red")
    os.replace(src, dst)
    library.apply_fs_changes(moved=[(str(src), str(dst))])
    rows = _rows(library)
    assert str(src) not in rows
    assert rows[str(dst)].id == before[str(src)].id  # the coffee image, under its new name
    assert len(rows) == 5
    # Its own stars stay; the pick and colour label of the photo it replaced are not lost.
    assert rows[str(dst)].rating == Rating(stars=2, flag=Flag.PICKED, color="red")


def test_safe_save_over_a_rated_photo_keeps_its_rating(library, photo_dir):
    """Editors write a hidden temporary file and rename it over the original."""
    before = _scanned(library, photo_dir)[str(photo_dir / "chelsea.png")]
    library.set_rating([before.id], stars=4, flag=1)
    temporary, target = photo_dir / ".chelsea.png.tmp1234", photo_dir / "chelsea.png"
    shutil.copyfile(PHOTOS_DIR / "astronaut.png", temporary)
    os.replace(temporary, target)
    report = library.apply_fs_changes(moved=[(str(temporary), str(target))])
    after = _rows(library)[str(target)]
    assert report.changed == 1
    assert (after.id, after.rating.stars, after.rating.flag) == (before.id, 4, Flag.PICKED)
    assert (after.status, after.overall) == (ImageStatus.QUEUED, None)  # new pixels, new score


def test_photo_renamed_to_a_non_image_name_and_back_comes_back_rated(library, photo_dir):
    before = _scanned(library, photo_dir)[str(photo_dir / "camera.png")]
    library.set_rating([before.id], stars=5, color="green")
    image, backup = photo_dir / "camera.png", photo_dir / "camera.png.bak"
    os.rename(image, backup)
    assert library.apply_fs_changes(moved=[(str(image), str(backup))]).missing == 1
    os.rename(backup, image)
    assert library.apply_fs_changes(moved=[(str(backup), str(image))]).restored == 1
    after = _rows(library)[str(image)]
    assert (after.id, after.status, after.overall) == (
        before.id,
        ImageStatus.SCORED,
        before.overall,
    )
    assert after.rating == Rating(stars=5, color="green")


def test_directory_renamed_onto_a_deleted_one_keeps_its_photos(library, photo_dir, tmp_path):
    before = _scanned(library, photo_dir)[str(photo_dir / "trip" / "rocket.jpg")]
    library.set_rating([before.id], stars=3)
    shutil.move(photo_dir / "trip", tmp_path / "gone")
    library.apply_fs_changes(deleted=[str(photo_dir / "trip")])
    fresh = photo_dir / "trip-new"
    fresh.mkdir()
    shutil.copyfile(PHOTOS_DIR / "coffee.png", fresh / "rocket.jpg")  # same name, other picture
    library.apply_fs_changes(created=[str(fresh)])
    new_id = _rows(library)[str(fresh / "rocket.jpg")].id
    os.rename(fresh, photo_dir / "trip")
    report = library.apply_fs_changes(moved=[(str(fresh), str(photo_dir / "trip"))])
    after = _rows(library)[str(photo_dir / "trip" / "rocket.jpg")]
    assert report.moved == 1
    assert (after.id, after.status, after.rating.stars) == (new_id, ImageStatus.QUEUED, 3)


def test_events_outside_watched_folders_and_repeats_change_nothing(library, photo_dir, tmp_path):
    _scanned(library, photo_dir)
    stranger = tmp_path / "elsewhere.png"
    shutil.copy(PHOTOS_DIR / "camera.png", stranger)
    assert library.apply_fs_changes(created=[str(stranger)]) == ScanReport()
    version = library.data_version()
    again = library.apply_fs_changes(created=[str(photo_dir / "camera.png")])
    assert again == ScanReport(unchanged=1) and library.data_version() == version


def test_delete_then_recreate_in_one_batch_restores(library, photo_dir, tmp_path):
    before = _scanned(library, photo_dir)
    target = photo_dir / "astronaut.png"
    report = library.apply_fs_changes(deleted=[str(target)], created=[str(target)])
    assert (report.missing, report.restored) == (1, 1)
    assert _rows(library)[str(target)].overall == before[str(target)].overall
