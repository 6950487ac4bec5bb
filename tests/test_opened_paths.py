"""Paths given on the command line (a file manager's "Open with"): which folders get watched."""

from __future__ import annotations

import shutil

from humanaes_desktop.opened_paths import folders_for, new_folders
from tests.support.photos import sample_photo


def test_a_folder_is_watched_as_given_and_a_photo_by_its_folder(tmp_path):
    album, other = tmp_path / "album", tmp_path / "other"
    album.mkdir()
    other.mkdir()
    photo = album / "hopper.jpg"
    shutil.copy(sample_photo("grace_hopper.jpg"), photo)
    folders, problems = folders_for([photo, other, album])
    assert folders == [str(album), str(other)]  # in order, the album once
    assert problems == []


def test_missing_paths_and_files_that_are_no_photos_are_reported(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    folders, problems = folders_for([tmp_path / "gone.jpg", notes])
    assert folders == []
    assert problems == [
        f"{tmp_path / 'gone.jpg'} does not exist.",
        f"{notes} is not a photo this app can read.",
    ]


def test_folders_already_covered_are_left_alone(tmp_path):
    watched = tmp_path / "photos"
    (watched / "2024").mkdir(parents=True)
    (tmp_path / "new" / "inner").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(watched / "2024")
    candidates = [str(watched / "2024"), str(link), str(tmp_path / "new" / "inner"),
                  str(tmp_path / "new")]  # fmt: skip
    assert new_folders(candidates, [str(watched)]) == [str(tmp_path / "new")]
