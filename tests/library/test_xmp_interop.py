"""Sidecars as other tools see them: exiftool (and exiv2, the engine of darktable and digiKam)
read what we write, and what they write comes back into the library at the next scan."""

from __future__ import annotations

import json

import pytest

from humanaes_desktop.library.records import Flag
from humanaes_desktop.library.xmp.fields import DIMENSION_KEYS, property_name
from tests.support.libraries import score_all
from tests.support.xmp import (
    changed_keys,
    copy_fixture,
    exiftool,
    exiftool_metadata,
    exiftool_write,
    exiv2,
    library_with_photos,
)

OUR = "XMP-humanaes"


@pytest.fixture
def one_photo(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["IMG_0001.jpg"])
    yield library, folder, ids["IMG_0001.jpg"]
    library.close()


def test_a_new_sidecar_is_read_by_exiftool_with_ratings_and_our_scores(tmp_path):
    library, folder, ids = library_with_photos(
        tmp_path, ["IMG_0001.jpg"], write_scores=True, write_synthetic=True
    )
    with library:
        score_all(library, base=0.7312)
        library.set_rating([ids["IMG_0001.jpg"]], stars=4, flag=Flag.PICKED, color="green")
        library.sidecars.flush()
    sidecar = folder / "IMG_0001.jpg.xmp"
    plain = json.loads(exiftool("-json", "-XMP:all", sidecar))[0]
    assert (plain["Rating"], plain["Label"], plain["PickLabel"]) == (4, "Green", 3)
    tags = exiftool_metadata(sidecar)
    assert tags[f"{OUR}:Overall"] == 0.7312 and tags[f"{OUR}:Level"] == "good"
    assert tags[f"{OUR}:Synthetic"] is True and tags[f"{OUR}:Pick"] == "picked"
    assert tags[f"{OUR}:Model"] == "synthetic/tiny@local" and tags[f"{OUR}:SchemaVersion"] == 1
    assert tags[f"{OUR}:ScoredAt"].endswith("+00:00") and "tiles=1" in tags[f"{OUR}:Profile"]
    assert all(isinstance(tags[f"{OUR}:{property_name(k)}"], float) for k in DIMENSION_KEYS)
    # exiv2 (darktable's and digiKam's engine) reads the same file.
    listed = exiv2("-px", sidecar)
    rating = next(line for line in listed.splitlines() if line.startswith("Xmp.xmp.Rating "))
    assert rating.split()[-1] == "4"
    assert "Xmp.humanaes.Overall" in listed and "0.7312" in listed


def test_synthetic_scores_are_written_only_when_asked(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"], write_scores=True)
    with library:
        score_all(library)
        library.set_rating([ids["a.jpg"]], stars=2)
        library.sidecars.flush()
        assert f"{OUR}:Overall" not in exiftool_metadata(folder / "a.jpg.xmp")
        library.sidecars.update_settings(write_synthetic=True)
        library.sidecars.sync()
    assert exiftool_metadata(folder / "a.jpg.xmp")[f"{OUR}:Synthetic"] is True


FOREIGN = [
    # fixture, photo name, sidecar name, the keys the merge may change
    ("darktable.CR2.xmp", "IMG_1234.CR2", "IMG_1234.CR2.xmp", {"XMP-darktable:Colorlabels"}),
    ("lightroom.xmp", "IMG_2000.CR2", "IMG_2000.xmp", set()),
    (
        "digikam.jpg.xmp",
        "IMG_3000.jpg",
        "IMG_3000.jpg.xmp",
        {"XMP-digiKam:ColorLabel", "XMP-photoshop:Urgency", "XMP-microsoft:RatingPercent"},
    ),
    # Written by exiftool itself (element form, one rdf:Description per namespace).
    ("exiftool", "IMG_4000.jpg", "IMG_4000.jpg.xmp", set()),
]


@pytest.mark.parametrize(("fixture", "photo", "sidecar", "copies"), FOREIGN)
def test_merging_into_foreign_sidecars_changes_only_our_fields(
    tmp_path, fixture, photo, sidecar, copies
):
    if fixture == "exiftool":
        source = copy_fixture("lightroom.xmp", tmp_path / "source.xmp")
        exiftool("-q", "-o", tmp_path / "photos" / sidecar, "-tagsfromfile", source, "-XMP:all")
    else:
        copy_fixture(fixture, tmp_path / "photos" / sidecar)
    library, folder, ids = library_with_photos(tmp_path, [photo])
    before = exiftool_metadata(folder / sidecar)
    original = (folder / sidecar).read_bytes()
    with library:
        library.set_rating([ids[photo]], stars=5, flag=Flag.PICKED, color="blue")
        library.sidecars.flush()
    after = exiftool_metadata(folder / sidecar)
    ours = {
        "XMP-xmp:Rating",
        "XMP-xmp:Label",
        "XMP-digiKam:PickLabel",
        f"{OUR}:Pick",
        f"{OUR}:SchemaVersion",
    }
    assert changed_keys(before, after) <= ours | copies
    assert (after["XMP-xmp:Rating"], after["XMP-xmp:Label"], after["XMP-digiKam:PickLabel"]) == (
        5,
        "Blue",
        3,
    )
    # Our properties are added to the first description; every other line is still there
    # (the line that ended the description's start tag now continues it).
    lines = (folder / sidecar).read_bytes().splitlines()
    kept = [line.rstrip(b"/>") for line in original.splitlines()]
    edited = (b"Rating", b"Label", b"Urgency", b"rdf:li>")
    assert all(
        any(line in new for new in lines) for line in kept if not any(e in line for e in edited)
    )


def test_darktable_history_and_lightroom_develop_settings_survive_byte_for_byte(tmp_path):
    copy_fixture("darktable.CR2.xmp", tmp_path / "photos" / "IMG_1234.CR2.xmp")
    copy_fixture("lightroom.xmp", tmp_path / "photos" / "IMG_2000.xmp")
    library, folder, ids = library_with_photos(tmp_path, ["IMG_1234.CR2", "IMG_2000.CR2"])
    darktable_before = (folder / "IMG_1234.CR2.xmp").read_bytes()
    lightroom_before = (folder / "IMG_2000.xmp").read_bytes()
    with library:
        library.set_rating(list(ids.values()), stars=1)
        library.sidecars.flush()
    darktable = (folder / "IMG_1234.CR2.xmp").read_bytes()
    lightroom = (folder / "IMG_2000.xmp").read_bytes()
    assert darktable == darktable_before.replace(b'xmp:Rating="2"', b'xmp:Rating="1"')
    assert lightroom == lightroom_before.replace(b'xmp:Rating="3"', b'xmp:Rating="1"')
    title = exiftool_metadata(folder / "IMG_2000.xmp")
    assert title["XMP-dc:Title-de-DE"] == "Sonnenuntergang" and title["XMP-dc:Title"] == "Sunset"


def test_exiftool_written_sidecar_is_updated_in_place_without_duplicates(one_photo):
    library, folder, image_id = one_photo
    sidecar = folder / "IMG_0001.jpg.xmp"
    exiftool("-q", "-o", sidecar, "-XMP:Rating=4", "-XMP:Label=Red", folder / "IMG_0001.jpg")
    library.scan_all()
    assert library.rows([image_id])[0].rating.stars == 4
    library.set_rating([image_id], stars=2, color="yellow")
    library.sidecars.flush()
    text = sidecar.read_text(encoding="utf-8")
    assert text.count("<xmp:Rating>") == 1 and text.count("<xmp:Label>") == 1
    tags = exiftool_metadata(sidecar)
    assert (tags["XMP-xmp:Rating"], tags["XMP-xmp:Label"]) == (2, "Yellow")


def test_ratings_changed_by_exiftool_and_exiv2_are_imported_with_our_properties_intact(one_photo):
    library, folder, image_id = one_photo
    library.set_rating([image_id], stars=4, flag=Flag.PICKED)
    library.sidecars.flush()
    sidecar = folder / "IMG_0001.jpg.xmp"
    exiftool_write(sidecar, "-XMP:Rating=2")
    report = library.scan_all()
    assert report.ratings_imported == 1
    assert library.rows([image_id])[0].rating.stars == 2
    assert exiftool_metadata(sidecar)[f"{OUR}:Pick"] == "picked"
    exiv2("-M", "set Xmp.xmp.Rating 3", sidecar)
    library.scan_all()
    assert library.rows([image_id])[0].rating.stars == 3
    assert library.rows([image_id])[0].rating.flag == Flag.PICKED
    assert exiftool_metadata(sidecar)[f"{OUR}:Pick"] == "picked"


def test_reject_is_rating_minus_one_and_microsoft_copy_follows(tmp_path):
    copy_fixture("digikam.jpg.xmp", tmp_path / "photos" / "IMG_3000.jpg.xmp")
    library, folder, ids = library_with_photos(tmp_path, ["IMG_3000.jpg", "new.jpg"])
    with library:
        library.set_rating(list(ids.values()), flag=Flag.REJECTED)
        library.sidecars.flush()
        for name in ("IMG_3000.jpg.xmp", "new.jpg.xmp"):
            tags = exiftool_metadata(folder / name)
            assert (tags["XMP-xmp:Rating"], tags["XMP-digiKam:PickLabel"]) == (-1, 1)
        assert exiftool_metadata(folder / "IMG_3000.jpg.xmp")["XMP-microsoft:RatingPercent"] == 0
        assert "XMP-microsoft:RatingPercent" not in exiftool_metadata(folder / "new.jpg.xmp")
        # Un-rejecting brings the stars back (the reject hid them, it did not erase them).
        library.set_rating([ids["IMG_3000.jpg"]], flag=Flag.NONE)
        library.sidecars.flush()
        tags = exiftool_metadata(folder / "IMG_3000.jpg.xmp")
        assert (tags["XMP-xmp:Rating"], tags["XMP-digiKam:PickLabel"]) == (4, 0)


def test_rejects_keep_their_stars_when_minus_one_is_off(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"], reject_as_minus_one=False)
    with library:
        library.set_rating([ids["a.jpg"]], stars=3, flag=Flag.REJECTED)
        library.sidecars.flush()
    tags = exiftool_metadata(folder / "a.jpg.xmp")
    assert (tags["XMP-xmp:Rating"], tags["XMP-digiKam:PickLabel"], tags[f"{OUR}:Pick"]) == (
        3,
        1,
        "rejected",
    )


def test_labels_keep_digikam_and_darktable_copies_consistent(tmp_path):
    copy_fixture("digikam.jpg.xmp", tmp_path / "photos" / "IMG_3000.jpg.xmp")
    copy_fixture("darktable.CR2.xmp", tmp_path / "photos" / "IMG_1234.CR2.xmp")
    library, folder, ids = library_with_photos(tmp_path, ["IMG_3000.jpg", "IMG_1234.CR2"])
    with library:
        library.set_rating(list(ids.values()), color="green")
        library.sidecars.flush()
        digikam = exiftool_metadata(folder / "IMG_3000.jpg.xmp")
        assert (digikam["XMP-digiKam:ColorLabel"], digikam["XMP-xmp:Label"]) == (4, "Green")
        assert str(digikam["XMP-photoshop:Urgency"]).startswith("4")
        darktable = exiftool_metadata(folder / "IMG_1234.CR2.xmp")
        assert (
            darktable["XMP-darktable:Colorlabels"] == [2] and darktable["XMP-xmp:Label"] == "Green"
        )
        library.set_rating(list(ids.values()), color="")
        library.sidecars.flush()
        digikam = exiftool_metadata(folder / "IMG_3000.jpg.xmp")
        darktable = exiftool_metadata(folder / "IMG_1234.CR2.xmp")
    assert "XMP-xmp:Label" not in digikam and digikam["XMP-digiKam:ColorLabel"] == 0
    assert "XMP-xmp:Label" not in darktable and "XMP-darktable:Colorlabels" not in darktable


def test_a_label_changed_only_in_darktables_copy_is_imported(tmp_path):
    copy_fixture("darktable.CR2.xmp", tmp_path / "photos" / "IMG_1234.CR2.xmp")
    library, folder, ids = library_with_photos(tmp_path, ["IMG_1234.CR2"])
    with library:
        assert library.rows([ids["IMG_1234.CR2"]])[0].rating.color == "red"  # colorlabels [0]
        sidecar = folder / "IMG_1234.CR2.xmp"
        # darktable writes only its own copy: red -> blue, no xmp:Label at all.
        text = sidecar.read_text(encoding="utf-8").replace(
            "<rdf:li>0</rdf:li>", "<rdf:li>3</rdf:li>"
        )
        sidecar.write_text(text, encoding="utf-8")
        library.scan_all()
        assert library.rows([ids["IMG_1234.CR2"]])[0].rating.color == "blue"


def test_embedded_jpeg_ratings_are_read_and_a_sidecar_wins(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["lr.jpg", "both.jpg"])
    with library:
        exiftool_write(folder / "lr.jpg", "-XMP:Rating=5", "-XMP:Label=Purple")
        exiftool("-q", "-o", folder / "both.jpg.xmp", "-XMP:Rating=1", folder / "both.jpg")
        exiftool_write(folder / "both.jpg", "-XMP:Rating=5")
        library.scan_all()
        lr, both = library.rows([ids["lr.jpg"], ids["both.jpg"]])
        assert (lr.rating.stars, lr.rating.color) == (5, "purple")
        assert both.rating.stars == 1
        assert not (folder / "lr.jpg.xmp").exists()  # reading never creates a sidecar
        assert exiftool_metadata(folder / "lr.jpg")["XMP-xmp:Rating"] == 5  # original untouched
