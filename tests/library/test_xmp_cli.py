"""`humanaes library rate` and `humanaes library xmp …` on a real library, as scripts use them."""

from __future__ import annotations

from humanaes_desktop.cli import main
from tests.support.xmp import exiftool_metadata, exiftool_write, library_with_photos


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _library(tmp_path, names=("a.jpg", "b.jpg")):
    library, folder, _ids = library_with_photos(tmp_path, list(names))
    library.close()
    return tmp_path / "library.sqlite3", folder


def test_rate_writes_the_database_and_the_sidecars(tmp_path, capsys):
    db, folder = _library(tmp_path)
    code, out, _ = _run(
        capsys,
        "library",
        "rate",
        folder / "a.jpg",
        folder / "b.jpg",
        "--stars",
        4,
        "--pick",
        "--label",
        "green",
        "--db",
        db,
    )
    assert code == 0 and "rated 2 photo(s)" in out and "2 synced" in out
    for name in ("a.jpg", "b.jpg"):
        tags = exiftool_metadata(folder / f"{name}.xmp")
        assert (tags["XMP-xmp:Rating"], tags["XMP-xmp:Label"], tags["XMP-digiKam:PickLabel"]) == (
            4,
            "Green",
            3,
        )
    assert (
        _run(
            capsys, "library", "rate", folder / "a.jpg", "--reject", "--label", "none", "--db", db
        )[0]
        == 0
    )
    tags = exiftool_metadata(folder / "a.jpg.xmp")
    assert tags["XMP-xmp:Rating"] == -1 and "XMP-xmp:Label" not in tags
    code, out, _ = _run(capsys, "library", "export", "--format", "json", "--db", db)
    assert '"flag": "rejected"' in out


def test_rate_refuses_unknown_photos_and_empty_requests(tmp_path, capsys):
    db, folder = _library(tmp_path)
    code, _, err = _run(
        capsys, "library", "rate", tmp_path / "elsewhere.jpg", "--stars", 1, "--db", db
    )
    assert code == 2 and "is not in the library" in err
    code, _, err = _run(capsys, "library", "rate", folder / "a.jpg", "--db", db)
    assert code == 2 and "Nothing to set" in err
    assert list(folder.glob("*.xmp")) == []


def test_status_set_sync_and_resolve(tmp_path, capsys):
    db, folder = _library(tmp_path)
    code, out, _ = _run(capsys, "library", "xmp", "status", "--db", db)
    assert code == 0 and "sidecars on; scores off" in out and "new files named name.ext.xmp" in out
    code, _, err = _run(capsys, "library", "xmp", "set", "naming", "sidecar.xmp", "--db", db)
    assert code == 2 and "naming must be one of" in err
    assert _run(capsys, "library", "xmp", "set", "naming", "name.xmp", "--db", db)[0] == 0
    assert _run(capsys, "library", "rate", folder / "a.jpg", "--stars", 3, "--db", db)[0] == 0
    assert (folder / "a.xmp").exists() and not (folder / "a.jpg.xmp").exists()
    # Another tool and the app both change the rating: a conflict, listed, then settled.
    exiftool_write(folder / "a.xmp", "-XMP:Rating=1")
    assert _run(capsys, "library", "rate", folder / "a.jpg", "--stars", 5, "--db", db)[0] == 0
    code, out, _ = _run(capsys, "library", "xmp", "status", "--db", db)
    assert "1 conflicts" in out and "conflict " in out and "stars app='5' file='1'" in out
    code, out, _ = _run(
        capsys, "library", "xmp", "resolve", "--take-file", "--remember", "--db", db
    )
    assert code == 0 and "settled 1 conflict(s)" in out
    code, out, _ = _run(capsys, "library", "xmp", "sync", "--db", db)
    assert code == 0 and "0 still owed" in out
    assert exiftool_metadata(folder / "a.xmp")["XMP-xmp:Rating"] == 1
    code, out, _ = _run(capsys, "library", "xmp", "status", "--db", db)
    assert "0 conflicts" in out and "conflicts: file" in out
    assert _run(capsys, "library", "xmp", "set", "enabled", "off", "--db", db)[0] == 0
    code, _, err = _run(capsys, "library", "xmp", "sync", "--db", db)
    assert code == 2 and "Sidecars are off" in err
