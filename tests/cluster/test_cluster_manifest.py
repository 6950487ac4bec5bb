"""`humanaes cluster manifest`: the photos lacking a model+profile's scores, with fingerprints."""

from __future__ import annotations

import json
import sqlite3

import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.cluster.manifest import ManifestError, PathMap, map_path, read_manifest
from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.store.manifest import verify_model_folder
from tests.cluster.conftest import open_library_of
from tests.support.assessments import make_assessment


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def library_db(tmp_path, photo_set):
    library = open_library_of(tmp_path / "lib.sqlite3", photo_set.folder)
    library.close()
    return tmp_path / "lib.sqlite3"


def library_fingerprints(db) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT f.path || '/' || i.rel_path, i.fingerprint FROM images i "
            "JOIN folders f ON f.id = i.folder_id"
        ).fetchall()
    return dict(rows)


def make(capsys, *argv) -> tuple[int, str]:
    code = main(["cluster", "manifest", *argv])
    return code, capsys.readouterr().out


def test_lists_every_unscored_content_once_with_the_library_fingerprint(
    capsys, tmp_path, library_db, tiny_model_dir, photo_set
):
    out = tmp_path / "m.jsonl"
    code, printed = make(
        capsys, "--db", str(library_db), "--model", str(tiny_model_dir), "--max-tiles", "1",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    header, entries = read_manifest(out)
    assert header.model == verify_model_folder(tiny_model_dir).identity
    assert header.profile == PreprocessProfile(max_tiles=1)
    listed = {e.library_path for e in entries}
    # The copy has the same content as a listed photo: listed once, imported to both later.
    expected = {str(p) for p in photo_set.all_files} - {str(photo_set.copy)}
    assert listed == expected
    assert "1 further copies" in printed and f"wrote {out}: {len(expected)} photos" in printed
    known = library_fingerprints(library_db)
    assert all(e.fingerprint == known[e.library_path] for e in entries)
    assert all(e.path == e.library_path and e.size > 0 or e.size == 0 for e in entries)


def test_photos_scored_by_that_model_and_profile_are_left_out(
    capsys, tmp_path, photo_set, tiny_model_dir
):
    identity = verify_model_folder(tiny_model_dir).identity
    library = open_library_of(tmp_path / "lib.sqlite3", photo_set.folder)
    jobs = library.claim_jobs(3, identity.key, PreprocessProfile(max_tiles=1).key)
    for job in jobs:
        library.store_assessment(job, make_assessment(model=identity))
    library.close()
    scored = {job.path for job in jobs}
    for tiles, left_out in (("1", scored), ("2", set())):
        out = tmp_path / f"m{tiles}.jsonl"
        make(capsys, "--db", str(tmp_path / "lib.sqlite3"), "--model", str(tiny_model_dir),
             "--max-tiles", tiles, "--out", str(out))  # fmt: skip
        entries = read_manifest(out)[1]
        assert not {e.library_path for e in entries} & left_out
        prints = library_fingerprints(tmp_path / "lib.sqlite3")
        unscored = {fp for path, fp in prints.items() if path not in left_out}
        assert sorted(e.fingerprint for e in entries) == sorted(unscored)


def test_path_map_rewrites_what_the_cluster_reads_and_keeps_the_library_path(
    capsys, tmp_path, library_db, tiny_model_dir, photo_set
):
    out = tmp_path / "m.jsonl"
    make(capsys, "--db", str(library_db), "--model", str(tiny_model_dir), "--out", str(out),
         "--path-map", f"{photo_set.folder}/=/mnt/nas/archive")  # fmt: skip
    header, entries = read_manifest(out)
    assert header.path_maps == (PathMap(str(photo_set.folder), "/mnt/nas/archive"),)
    for entry in entries:
        relative = entry.library_path[len(str(photo_set.folder)) + 1 :]
        assert entry.path == f"/mnt/nas/archive/{relative}"


def test_path_maps_match_whole_components_first_map_wins():
    maps = (PathMap.parse("/photos=/nas/p"), PathMap.parse("/photos/raw=/other"))
    assert map_path("/photos/a.jpg", maps) == "/nas/p/a.jpg"
    assert map_path("/photos/raw/b.dng", maps) == "/nas/p/raw/b.dng"
    assert map_path("/photos2/c.jpg", maps) == "/photos2/c.jpg"
    assert map_path("/photos", maps) == "/nas/p"
    for bad in ("/photos", "=/nas", "/photos="):
        with pytest.raises(ManifestError, match="FROM=TO"):
            PathMap.parse(bad)


def test_a_folder_without_a_library_lists_every_image_file(
    capsys, tmp_path, tiny_model_dir, photo_set
):
    out = tmp_path / "m.jsonl"
    code, _ = make(capsys, "--folder", str(photo_set.folder), "--model", str(tiny_model_dir),
                   "--out", str(out))  # fmt: skip
    assert code == 0
    header, entries = read_manifest(out)
    assert header.source == str(photo_set.folder)
    assert len(entries) == len(photo_set.all_files) - 1  # the copy shares a fingerprint
    assert [e.library_path for e in entries] == sorted(e.library_path for e in entries)


def test_unreadable_manifests_say_why(tmp_path):
    cases = {
        "empty.jsonl": ("", "is empty"),
        "other.jsonl": ('{"path": "/a.jpg"}\n', "not a HumanAes cluster manifest"),
        "broken.jsonl": ('{"format": "humanaes-cluster-manifest", "version": 1\n', "line 1: not JSON"),
        "future.jsonl": ('{"format": "humanaes-cluster-manifest", "version": 9}\n', "version 9"),
    }  # fmt: skip
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ManifestError, match=message):
            read_manifest(tmp_path / name)
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest(tmp_path / "absent.jsonl")


def test_a_mistyped_db_is_an_error_not_an_empty_manifest(capsys, tmp_path, tiny_model_dir):
    code = main(["cluster", "manifest", "--db", str(tmp_path / "nope.db"), "--model",
                 str(tiny_model_dir), "--out", str(tmp_path / "m.jsonl")])  # fmt: skip
    assert code == 2
    assert "no library at" in capsys.readouterr().err
    assert not (tmp_path / "m.jsonl").exists()
    assert json  # the manifest is JSON Lines (read_manifest parses it)
