"""Three-way merge per field: who changed what since the last sync decides; real conflicts are
listed (never a dialog), settled by the user's choice, which can be remembered."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from humanaes_desktop.library.records import Flag
from humanaes_desktop.library.xmp.merge import Outcome, merge_field, settle
from tests.support.xmp import exiftool, exiftool_metadata, exiftool_write, library_with_photos

OUR = "XMP-humanaes"
EXIFTOOL_CONFIG = Path(__file__).resolve().parents[2] / "docs" / "humanaes.ExifTool_config"


@pytest.mark.parametrize(
    ("file", "base", "app", "outcome"),
    [
        (3, 3, 3, Outcome.IN_SYNC),
        (3, 3, 5, Outcome.WRITE_APP),  # only the app changed
        (2, 3, 3, Outcome.TAKE_FILE),  # only the file changed
        (2, 3, 5, Outcome.CONFLICT),  # both changed, differently
        (5, 3, 5, Outcome.IN_SYNC),  # both changed the same way
        (4, None, 0, Outcome.TAKE_FILE),  # never synced, app untouched: import
        (0, None, 4, Outcome.WRITE_APP),  # never synced, file says nothing: write
        (2, None, 4, Outcome.CONFLICT),
    ],
)
def test_merge_table(file, base, app, outcome):
    assert merge_field(file, base, app, 0) == outcome


def test_policies_settle_conflicts():
    conflict = Outcome.CONFLICT
    assert settle(conflict, "ask", 10.0, 5.0) == conflict
    assert settle(conflict, "app", 10.0, 5.0) == Outcome.WRITE_APP
    assert settle(conflict, "file", 1.0, 5.0) == Outcome.TAKE_FILE
    assert settle(conflict, "newest", 10.0, 5.0) == Outcome.TAKE_FILE
    assert settle(conflict, "newest", 1.0, 5.0) == Outcome.WRITE_APP
    assert settle(Outcome.IN_SYNC, "file", 1.0, 5.0) == Outcome.IN_SYNC


@pytest.fixture
def synced(tmp_path):
    """One photo rated 3 stars, its sidecar written and synced."""
    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"])
    image_id = ids["a.jpg"]
    library.set_rating([image_id], stars=3)
    library.sidecars.flush()
    yield library, folder / "a.jpg.xmp", image_id
    library.close()


def _stars(library, image_id) -> int:
    return library.rows([image_id])[0].rating.stars


def _conflict_on_both_sides(
    library, sidecar, image_id, *, file_stars=1, app_stars=5, file_is_newer=True
):
    exiftool_write(sidecar, f"-XMP:Rating={file_stars}")
    library.set_rating([image_id], stars=app_stars)
    stamp = time.time() + (60 if file_is_newer else -60)
    os.utime(sidecar, (stamp, stamp))


def test_a_real_conflict_is_listed_and_neither_side_is_overwritten(synced):
    library, sidecar, image_id = synced
    _conflict_on_both_sides(library, sidecar, image_id)
    library.sidecars.flush()
    library.scan_all()
    [conflict] = library.sidecars.conflicts()
    assert (conflict.field, conflict.app_value, conflict.file_value) == ("stars", "5", "1")
    assert conflict.sidecar_path == str(sidecar)
    assert _stars(library, image_id) == 5 and exiftool_metadata(sidecar)["XMP-xmp:Rating"] == 1
    assert library.sidecars.status().conflicts == 1


@pytest.mark.parametrize(
    ("choice", "file_is_newer", "stars"),
    [("app", True, 5), ("file", False, 1), ("newest", True, 1), ("newest", False, 5)],
)
def test_resolving_a_conflict(synced, choice, file_is_newer, stars):
    library, sidecar, image_id = synced
    _conflict_on_both_sides(library, sidecar, image_id, file_is_newer=file_is_newer)
    library.sidecars.flush()
    assert library.sidecars.resolve(choice) == 1
    assert library.sidecars.conflicts() == []
    assert _stars(library, image_id) == stars
    assert exiftool_metadata(sidecar)["XMP-xmp:Rating"] == stars


def test_a_remembered_choice_settles_the_next_conflicts_by_itself(synced):
    library, sidecar, image_id = synced
    _conflict_on_both_sides(library, sidecar, image_id, file_stars=1, app_stars=5)
    library.sidecars.flush()
    library.sidecars.resolve("file", remember=True)
    assert library.sidecars.settings().conflict_policy == "file"
    _conflict_on_both_sides(library, sidecar, image_id, file_stars=2, app_stars=4)
    library.sidecars.flush()
    assert library.sidecars.conflicts() == [] and _stars(library, image_id) == 2


def test_only_the_app_changed_is_written_and_only_the_file_changed_is_imported(synced):
    library, sidecar, image_id = synced
    library.set_rating([image_id], flag=Flag.PICKED)
    library.sidecars.flush()
    assert exiftool_metadata(sidecar)["XMP-digiKam:PickLabel"] == 3
    exiftool_write(sidecar, "-XMP:Label=Purple")
    library.scan_all()
    row = library.rows([image_id])[0].rating
    assert (row.stars, row.flag, row.color) == (3, Flag.PICKED, "purple")


def test_our_scores_always_follow_the_app(tmp_path):
    from tests.support.libraries import score_all

    library, folder, ids = library_with_photos(
        tmp_path, ["a.jpg"], write_scores=True, write_synthetic=True
    )
    with library:
        score_all(library, base=0.6)
        library.sidecars.sync()
        sidecar = folder / "a.jpg.xmp"
        # The exiftool configuration the docs ship lets users write our namespace.
        exiftool(
            "-config",
            EXIFTOOL_CONFIG,
            "-q",
            "-overwrite_original",
            "-XMP-humanaes:Overall=0.1",
            sidecar,
        )
        assert exiftool_metadata(sidecar)[f"{OUR}:Overall"] == 0.1
        library.scan_all()
        library.sidecars.sync()
    assert exiftool_metadata(sidecar)[f"{OUR}:Overall"] == 0.6


def test_a_same_size_same_second_edit_is_caught_by_the_hash(synced):
    library, sidecar, image_id = synced
    before = sidecar.stat()
    sidecar.write_bytes(sidecar.read_bytes().replace(b'xmp:Rating="3"', b'xmp:Rating="2"'))
    os.utime(sidecar, ns=(before.st_atime_ns, before.st_mtime_ns))  # a 1-2 s file system
    assert sidecar.stat().st_size == before.st_size
    library.scan_all()
    assert _stars(library, image_id) == 2
