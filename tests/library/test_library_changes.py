"""`Library.apply_fs_changes` on real files: the batch semantics the watcher relies on."""

from __future__ import annotations

import os
import shutil

from library_helpers import PHOTOS, score_all

from humanaes_desktop.library.records import GalleryQuery, ImageStatus, ScanReport

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
    shutil.copy(PHOTOS / "grace_hopper.jpg", part)
    os.rename(part, photo_dir / "portrait.jpg")
    report = library.apply_fs_changes(moved=[(str(part), str(photo_dir / "portrait.jpg"))])
    assert report.added == 1
    os.rename(photo_dir / "camera.png", photo_dir / "camera.png.bak")
    report = library.apply_fs_changes(
        moved=[(str(photo_dir / "camera.png"), str(photo_dir / "camera.png.bak"))]
    )
    assert report.missing == 1
    assert _rows(library)[str(photo_dir / "camera.png")].status is ImageStatus.MISSING


def test_move_onto_an_existing_photo_replaces_it(library, photo_dir):
    before = _scanned(library, photo_dir)
    src, dst = photo_dir / "coffee.png", photo_dir / "chelsea.png"
    os.replace(src, dst)
    library.apply_fs_changes(moved=[(str(src), str(dst))])
    rows = _rows(library)
    assert str(src) not in rows
    assert rows[str(dst)].id == before[str(src)].id  # the coffee image, under its new name
    assert len(rows) == 5


def test_events_outside_watched_folders_and_repeats_change_nothing(library, photo_dir, tmp_path):
    _scanned(library, photo_dir)
    stranger = tmp_path / "elsewhere.png"
    shutil.copy(PHOTOS / "camera.png", stranger)
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
