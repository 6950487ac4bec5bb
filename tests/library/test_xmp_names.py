"""The naming matrix: which sidecars a photo has, and what a new one is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from humanaes_desktop.library.xmp.names import find_sidecars, new_sidecar_paths
from tests.support.xmp import (
    copy_fixture,
    exiftool_metadata,
    exiftool_metadata_of,
    library_with_photos,
)


def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


def _names(paths: list[str]) -> list[str]:
    return [Path(p).name for p in paths]


@pytest.mark.parametrize(
    ("files", "photo", "found"),
    [
        (["IMG.CR2"], "IMG.CR2", []),
        (["IMG.CR2", "IMG.xmp"], "IMG.CR2", ["IMG.xmp"]),
        (["IMG.CR2", "IMG.CR2.xmp"], "IMG.CR2", ["IMG.CR2.xmp"]),
        (["IMG.CR2", "IMG.CR2.xmp", "IMG.xmp"], "IMG.CR2", ["IMG.CR2.xmp", "IMG.xmp"]),
        (["IMG.CR2", "IMG.CR2.XMP", "IMG.XMP"], "IMG.CR2", ["IMG.CR2.XMP", "IMG.XMP"]),
        # A RAW+JPEG pair: IMG.xmp belongs to the RAW; each keeps its own IMG.ext.xmp.
        (["IMG.CR2", "IMG.JPG", "IMG.xmp", "IMG.JPG.xmp"], "IMG.JPG", ["IMG.JPG.xmp"]),
        (["IMG.CR2", "IMG.JPG", "IMG.xmp"], "IMG.CR2", ["IMG.xmp"]),
        # darktable's duplicate of IMG.CR2 is never attached to anything.
        (["IMG.CR2", "IMG_01.CR2.xmp"], "IMG.CR2", []),
        (["IMG.CR2", "IMG_01.CR2", "IMG_01.CR2.xmp"], "IMG_01.CR2", []),
        # ...but a photo that really is called IMG_01.CR2 (no IMG.CR2 beside it) has its own.
        (["IMG_01.CR2", "IMG_01.CR2.xmp"], "IMG_01.CR2", ["IMG_01.CR2.xmp"]),
        # Two non-RAW photos sharing a stem: IMG.xmp is nobody's.
        (["IMG.JPG", "IMG.PNG", "IMG.xmp"], "IMG.JPG", []),
    ],
)
def test_finding_sidecars(tmp_path, files, photo, found):
    _touch(tmp_path, *files)
    assert _names(find_sidecars(str(tmp_path / photo))) == found


@pytest.mark.parametrize(
    ("files", "photo", "naming", "created"),
    [
        (["IMG.CR2"], "IMG.CR2", "name.ext.xmp", ["IMG.CR2.xmp"]),
        (["IMG.CR2"], "IMG.CR2", "name.xmp", ["IMG.xmp"]),
        (["IMG.CR2"], "IMG.CR2", "both", ["IMG.CR2.xmp", "IMG.xmp"]),
        (["IMG.CR2", "IMG.JPG"], "IMG.JPG", "name.xmp", ["IMG.JPG.xmp"]),
        (["IMG.CR2", "IMG.JPG"], "IMG.JPG", "both", ["IMG.JPG.xmp"]),
        (["IMG.CR2", "IMG.JPG"], "IMG.CR2", "name.xmp", ["IMG.xmp"]),
        (["IMG.CR2", "IMG_01.CR2"], "IMG_01.CR2", "name.ext.xmp", []),
    ],
)
def test_naming_new_sidecars(tmp_path, files, photo, naming, created):
    _touch(tmp_path, *files)
    assert _names(new_sidecar_paths(str(tmp_path / photo), naming)) == created


def test_every_existing_sidecar_is_updated_and_the_full_name_wins_a_disagreement(tmp_path):
    folder = tmp_path / "photos"
    copy_fixture("lightroom.xmp", folder / "IMG.xmp")  # Rating 3, Yellow
    (folder / "IMG.CR2.xmp").write_bytes(
        (folder / "IMG.xmp").read_bytes().replace(b'xmp:Rating="3"', b'xmp:Rating="1"')
    )
    library, folder, ids = library_with_photos(tmp_path, ["IMG.CR2"])
    with library:
        assert library.rows([ids["IMG.CR2"]])[0].rating.stars == 1
        library.set_rating([ids["IMG.CR2"]], stars=5)
        library.sidecars.flush()
    read = exiftool_metadata_of([folder / "IMG.CR2.xmp", folder / "IMG.xmp"])
    assert [tags["XMP-xmp:Rating"] for tags in read.values()] == [5, 5]


@pytest.mark.parametrize(
    ("naming", "expected"),
    [
        ("name.ext.xmp", ["IMG.CR2.xmp"]),
        ("name.xmp", ["IMG.xmp"]),
        ("both", ["IMG.CR2.xmp", "IMG.xmp"]),
    ],
)
def test_the_naming_setting_decides_new_files(tmp_path, naming, expected):
    library, folder, ids = library_with_photos(tmp_path, ["IMG.CR2", "IMG.JPG"], naming=naming)
    with library:
        library.set_rating([ids["IMG.CR2"]], stars=4)
        library.set_rating([ids["IMG.JPG"]], stars=2)
        library.sidecars.flush()
    sidecars = sorted(p.name for p in folder.glob("*.xmp"))
    assert sidecars == sorted([*expected, "IMG.JPG.xmp"])
    for name in expected:
        assert exiftool_metadata(folder / name)["XMP-xmp:Rating"] == 4
    assert exiftool_metadata(folder / "IMG.JPG.xmp")["XMP-xmp:Rating"] == 2
