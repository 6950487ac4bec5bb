"""A sidecar is never clobbered: unsafe or broken files are refused and left as they were,
writes are atomic, a concurrent edit is merged, and nothing changes when nothing should."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from humanaes_desktop.library.records import Flag
from humanaes_desktop.library.xmp import atomic, sync
from humanaes_desktop.library.xmp.edit import NEW_PACKET, Change, apply_changes
from humanaes_desktop.library.xmp.fields import NS_HUMANAES, NS_XMP
from humanaes_desktop.library.xmp.packet import SidecarParseError, parse_packet
from tests.support.xmp import (
    XMP_FIXTURES,
    copy_fixture,
    exiftool_metadata,
    exiftool_metadata_of,
    library_with_photos,
)

TRUNCATED = NEW_PACKET[: len(NEW_PACKET) // 2]
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>&lol4;</dc:source>
</rdf:Description></rdf:RDF></x:xmpmeta>"""
NOT_XMP = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'


def _xxe(secret: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file://'
        + str(secret).encode()
        + b'"> ]>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>&xxe;</dc:source>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


@pytest.fixture
def photo(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["IMG_0001.jpg"])
    yield library, folder, ids["IMG_0001.jpg"]
    library.close()


def _untouched(path: Path, data: bytes, mtime_ns: int) -> bool:
    return path.read_bytes() == data and path.stat().st_mtime_ns == mtime_ns


@pytest.mark.parametrize("kind", ["truncated", "billion-laughs", "xxe", "not-xmp", "empty"])
def test_a_sidecar_we_cannot_parse_safely_is_never_written(photo, tmp_path, kind):
    library, folder, image_id = photo
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    data = {
        "truncated": TRUNCATED,
        "billion-laughs": BILLION_LAUGHS,
        "xxe": _xxe(secret),
        "not-xmp": NOT_XMP,
        "empty": b"",
    }[kind]
    sidecar = folder / "IMG_0001.jpg.xmp"
    sidecar.write_bytes(data)
    mtime = sidecar.stat().st_mtime_ns
    library.set_rating([image_id], stars=5)
    library.sidecars.flush()
    assert _untouched(sidecar, data, mtime)
    status = library.sidecars.photo(image_id)
    assert status.error and "IMG_0001.jpg.xmp" in status.error and status.pending
    assert [p.image_id for p in library.sidecars.problems()] == [image_id]
    assert library.rows([image_id])[0].rating.stars == 5  # the app keeps the user's rating
    # Once the file is repaired, the owed write goes out and the error clears.
    sidecar.unlink()
    library.sidecars.write_pending()
    assert exiftool_metadata(sidecar)["XMP-xmp:Rating"] == 5
    assert library.sidecars.photo(image_id).error is None


def test_entities_are_neither_expanded_nor_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    for data in (BILLION_LAUGHS, _xxe(secret), BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!DOCTYPE ")):
        with pytest.raises(SidecarParseError, match="declaration|document type"):
            parse_packet(data)


def test_no_op_writes_leave_bytes_and_mtime_alone(photo):
    library, folder, image_id = photo
    library.set_rating([image_id], stars=3, color="red")
    library.sidecars.flush()
    sidecar = folder / "IMG_0001.jpg.xmp"
    data, mtime = sidecar.read_bytes(), sidecar.stat().st_mtime_ns
    library.set_rating([image_id], stars=3)  # the same value again
    library.sidecars.flush()
    library.sidecars.sync()
    library.scan_all()
    assert _untouched(sidecar, data, mtime)


def test_a_crash_between_temp_file_and_rename_leaves_the_original(photo, monkeypatch):
    library, folder, image_id = photo
    library.set_rating([image_id], stars=2)
    library.sidecars.flush()
    sidecar = folder / "IMG_0001.jpg.xmp"
    os.chmod(sidecar, 0o640)
    data = sidecar.read_bytes()
    temps: list[str] = []

    class Crash(Exception):
        pass

    def crash(temp: str) -> None:
        temps.append(temp)
        assert Path(temp).read_bytes() != data and stat.S_IMODE(os.stat(temp).st_mode) == 0o640
        raise Crash

    monkeypatch.setattr(sync, "write_atomic", _with_hook(crash))
    library.set_rating([image_id], stars=4)
    with pytest.raises(Crash):
        sync.sync_image(library._db, image_id, library.sidecars.settings(), write=True)
    assert sidecar.read_bytes() == data and temps and not Path(temps[0]).exists()
    monkeypatch.undo()
    library.sidecars.write_pending()  # the next run writes what is owed, mode kept
    assert exiftool_metadata(sidecar)["XMP-xmp:Rating"] == 4
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o640


def _with_hook(hook):
    def write(path, data, *, expect, before_replace=None):
        return atomic.write_atomic(path, data, expect=expect, before_replace=hook)

    return write


def test_a_symlinked_sidecar_updates_its_target_and_keeps_the_link(photo, tmp_path):
    library, folder, image_id = photo
    elsewhere = tmp_path / "sidecars" / "shared.xmp"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(NEW_PACKET)
    (folder / "IMG_0001.jpg.xmp").symlink_to(elsewhere)
    library.set_rating([image_id], stars=5)
    library.sidecars.flush()
    assert (folder / "IMG_0001.jpg.xmp").is_symlink()
    assert exiftool_metadata(elsewhere)["XMP-xmp:Rating"] == 5


def test_non_ascii_paths(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["Führerschein – 東京.jpg"])
    with library:
        library.set_rating(list(ids.values()), stars=1)
        library.sidecars.flush()
    assert exiftool_metadata(folder / "Führerschein – 東京.jpg.xmp")["XMP-xmp:Rating"] == 1


def test_a_concurrent_external_edit_between_read_and_rename_is_merged(photo, monkeypatch):
    library, folder, image_id = photo
    library.set_rating([image_id], stars=2)
    library.sidecars.flush()
    sidecar = folder / "IMG_0001.jpg.xmp"
    edited = []

    def other_tool_edits(_temp: str) -> None:
        if not edited:  # another program sets a label while we were about to rename
            packet = parse_packet(sidecar.read_bytes())
            sidecar.write_bytes(
                apply_changes(packet, [Change(NS_XMP, "Label", "Blue", True, "xmp")])
            )
            edited.append(True)

    monkeypatch.setattr(sync, "write_atomic", _with_hook(other_tool_edits))
    library.set_rating([image_id], stars=4)
    sync.sync_image(library._db, image_id, library.sidecars.settings(), write=True)
    tags = exiftool_metadata(sidecar)
    assert (tags["XMP-xmp:Rating"], tags["XMP-xmp:Label"]) == (4, "Blue")
    assert library.rows([image_id])[0].rating.color == "blue"


def test_a_prefix_bound_to_another_namespace_is_not_reused(tmp_path):
    packet = parse_packet(
        NEW_PACKET.replace(
            b'rdf:about=""', b'rdf:about="" xmlns:humanaes="http://example.com/other/"'
        )
    )
    data = apply_changes(packet, [Change(NS_HUMANAES, "Pick", "picked", True, "humanaes")])
    assert b'xmlns:humanaes2="' + NS_HUMANAES.encode() + b'"' in data
    assert parse_packet(data).value(NS_HUMANAES, "Pick") == "picked"
    sidecar = tmp_path / "x.xmp"
    sidecar.write_bytes(data)
    assert exiftool_metadata(sidecar)["XMP-humanaes2:Pick"] == "picked"


def test_eight_threads_times_3000_merges_in_memory_are_all_correct():
    fixtures = [
        (XMP_FIXTURES / n).read_bytes()
        for n in ("darktable.CR2.xmp", "lightroom.xmp", "digikam.jpg.xmp")
    ]
    wrong: list[str] = []

    def merge(thread: int) -> None:
        for i in range(375):
            data = fixtures[(thread + i) % 3]
            rating = str((thread * 375 + i) % 6)
            new = apply_changes(
                parse_packet(data),
                [
                    Change(NS_XMP, "Rating", rating, True, "xmp"),
                    Change(NS_HUMANAES, "Overall", f"0.{i:04d}", True, "humanaes"),
                ],
            )
            after = parse_packet(new)
            if (
                after.value(NS_XMP, "Rating") != rating
                or after.value(NS_HUMANAES, "Overall") != f"0.{i:04d}"
            ):
                wrong.append(f"{thread}/{i}")

    threads = [threading.Thread(target=merge, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_eight_threads_syncing_photos_leave_every_sidecar_matching_the_library(tmp_path):
    names = [f"IMG_{i:04d}.jpg" for i in range(24)]
    for name in names[::2]:  # half of them start from a foreign sidecar
        copy_fixture("digikam.jpg.xmp", tmp_path / "photos" / f"{name}.xmp")
    library, folder, ids = library_with_photos(tmp_path, names)
    errors: list[BaseException] = []

    def rate(thread: int) -> None:
        try:
            for round_ in range(4):
                for name in names[thread % 3 :: 3]:  # three threads share each photo
                    library.set_rating([ids[name]], stars=(thread + round_) % 6, flag=Flag.PICKED)
                    sync.sync_image(library._db, ids[name], library.sidecars.settings(), write=True)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    read = exiftool_metadata_of([folder / f"{name}.xmp" for name in names])
    with library:
        for name in names:
            expected = library.rows([ids[name]])[0].rating.stars
            tags = read[str(folder / f"{name}.xmp")]
            assert tags["XMP-xmp:Rating"] == expected and tags["XMP-digiKam:PickLabel"] == 3
            if name in names[::2]:
                assert tags["XMP-digiKam:TagsList"] == ["People/Grace", "Places/Office"]
        assert library.sidecars.status().pending == 0
