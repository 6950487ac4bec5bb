"""`humanaes watch --quick-first` and `--profile quick|full`: which scores each photo gets."""

from __future__ import annotations

import pytest

from humanaes_desktop.cli import main
from tests.support.watch_process import make_wide_photo_folder, query


@pytest.fixture
def folder(tmp_path, monkeypatch, sample_photos_dir):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "photos"
    make_wide_photo_folder(folder, sample_photos_dir, count=3)
    (folder / "truncated.jpg").unlink()
    return folder


def watch(folder, db, model, *extra: str) -> int:
    """`watch --once`, the full profile at 2 tiles (which `--profile quick` refuses to take)."""
    args = ["watch", str(folder), "--db", str(db), "--model", str(model), "--once", *extra]
    return main(args if "quick" in extra else [*args, "--max-tiles", "2"])


def tiles_per_photo(db) -> dict[str, list[int]]:
    rows = query(
        db,
        "SELECT file_name, assessments.max_tiles FROM assessments"
        " JOIN images ON images.id = assessments.image_id ORDER BY assessments.id",
    )
    found: dict[str, list[int]] = {}
    for name, tiles in rows:
        found.setdefault(name, []).append(tiles)
    return found


def test_quick_first_gives_every_photo_a_quick_then_a_full_score(
    tmp_path, folder, tiny_model_dir, capsys
):
    db = tmp_path / "lib.sqlite3"
    assert watch(folder, db, tiny_model_dir, "--quick-first") == 0
    assert tiles_per_photo(db) == {
        name: [1, 2] for name in ("wide_00.jpg", "wide_01.jpg", "wide_02.jpg")
    }
    assert set(dict(query(db, "SELECT file_name, max_tiles FROM images")).values()) == {2}
    err = capsys.readouterr().err
    assert "quick pass" in err and "(quick; full score to follow)" in err
    assert err.index("quick; full score to follow") < err.index("full pass")


@pytest.mark.parametrize(("profile", "tiles"), [("quick", 1), ("full", 2)])
def test_one_profile_gives_one_score_of_that_kind(tmp_path, folder, tiny_model_dir, profile, tiles):
    db = tmp_path / "lib.sqlite3"
    assert watch(folder, db, tiny_model_dir, "--profile", profile) == 0
    assert set(map(tuple, tiles_per_photo(db).values())) == {(tiles,)}
    assert main(["library", "status", "--db", str(db)]) == 0


def test_status_after_quick_only_counts_quick_scores(tmp_path, folder, tiny_model_dir, capsys):
    db = tmp_path / "lib.sqlite3"
    assert watch(folder, db, tiny_model_dir, "--profile", "quick") == 0
    capsys.readouterr()
    assert main(["library", "status", "--db", str(db)]) == 0
    assert "scores shown: 0 full, 3 quick (1 tile)" in capsys.readouterr().out


def test_quick_first_after_quick_only_upgrades_the_quick_scores(tmp_path, folder, tiny_model_dir):
    db = tmp_path / "lib.sqlite3"
    assert watch(folder, db, tiny_model_dir, "--profile", "quick") == 0
    assert watch(folder, db, tiny_model_dir, "--quick-first") == 0
    assert set(map(tuple, tiles_per_photo(db).values())) == {(1, 2)}


def test_quick_profile_with_more_tiles_is_a_usage_error(tmp_path, folder, tiny_model_dir, capsys):
    code = main(["watch", str(folder), "--model", str(tiny_model_dir), "--profile", "quick",
                 "--max-tiles", "6", "--db", str(tmp_path / "lib.sqlite3"), "--once"])  # fmt: skip
    assert code == 2 and "--profile quick always feeds one tile" in capsys.readouterr().err


def test_profile_and_quick_first_exclude_each_other(folder, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["watch", str(folder), "--profile", "full", "--quick-first"])
    assert exit_.value.code == 2 and "not allowed with" in capsys.readouterr().err
