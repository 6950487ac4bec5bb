"""`humanaes library status|export|add|scan|remove` on a real library file."""

from __future__ import annotations

import csv
import json

from humanaes_desktop.cli import main
from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library import Library
from tests.support.assessments import SYNTHETIC_MODEL, make_assessment
from tests.support.libraries import score_all


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_scan_status_and_export(tmp_path, photo_dir, capsys):
    db = str(tmp_path / "cli.sqlite3")
    code, out, _ = _run(capsys, "library", "add", str(photo_dir), "--db", db)
    assert code == 0 and "6 added" in out
    with Library.open(db) as lib:
        given = score_all(lib)
        first = lib.top_n(1)[0]
        lib.set_rating([first.id], stars=5, flag=1, color="yellow")

    code, out, _ = _run(capsys, "library", "status", "--db", db)
    assert code == 0
    assert "scored 6" in out and "assessments: 6" in out and "per hour" in out
    assert "SYNTHETIC" in out

    csv_path = tmp_path / "scores.csv"
    assert (
        _run(capsys, "library", "export", "--format", "csv", "--db", db, "--out", str(csv_path))[0]
        == 0
    )
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert len(rows) == 6 and set(DIMENSION_KEYS) <= set(rows[0])
    by_name = {r["path"].rsplit("/", 1)[-1]: r for r in rows}
    assert {n: float(r["overall"]) for n, r in by_name.items()} == given
    best = by_name[first.file_name]
    assert (best["stars"], best["flag"], best["color"], best["synthetic"]) == (
        "5",
        "picked",
        "yellow",
        "True",
    )

    code, out, _ = _run(capsys, "library", "export", "--format", "json", "--db", db)
    exported = json.loads(out)
    assert len(exported) == 6 and all(r["synthetic"] is True for r in exported)
    assert all(r["model_repo"] == "synthetic/tiny" for r in exported)


def test_scan_and_remove(tmp_path, photo_dir, capsys):
    db = str(tmp_path / "cli.sqlite3")
    assert _run(capsys, "library", "scan", "--db", db)[0] == 2  # nothing watched yet
    _run(capsys, "library", "add", str(photo_dir), "--db", db, "--no-scan")
    (photo_dir / "camera.png").unlink()
    code, out, _ = _run(capsys, "library", "scan", "--db", db)
    assert code == 0 and "5 added" in out
    code, _, err = _run(capsys, "library", "remove", str(tmp_path / "elsewhere"), "--db", db)
    assert code == 2 and "not a watched folder" in err
    code, out, _ = _run(capsys, "library", "remove", str(photo_dir), "--db", db)
    assert code == 0 and "kept its ratings" in out
    assert "folder 1" not in _run(capsys, "library", "status", "--db", db)[1]


def test_unreadable_folder_is_a_one_line_error(tmp_path, capsys):
    code, _, err = _run(
        capsys, "library", "add", str(tmp_path / "nope"), "--db", str(tmp_path / "x.db")
    )
    assert code == 2 and err.startswith("humanaes: error:") and "not a folder" in err


def test_export_to_an_unwritable_place_is_a_one_line_error(tmp_path, photo_dir, capsys):
    db = str(tmp_path / "cli.sqlite3")
    _run(capsys, "library", "add", str(photo_dir), "--db", db)
    target = tmp_path / "no such folder" / "scores.csv"
    code, out, err = _run(capsys, "library", "export", "--db", db, "--out", str(target))
    assert code == 2 and "Traceback" not in err
    assert str(target) in err and "No such file or directory" in err


def test_failed_export_leaves_an_earlier_export_intact(tmp_path, photo_dir, capsys, monkeypatch):
    """An export replaces the file only once it is complete."""
    from humanaes_desktop.library import score_export

    db = str(tmp_path / "cli.sqlite3")
    _run(capsys, "library", "add", str(photo_dir), "--db", db)
    target = tmp_path / "scores.json"
    assert (
        _run(capsys, "library", "export", "--format", "json", "--db", db, "--out", str(target))[0]
        == 0
    )
    earlier = target.read_text(encoding="utf-8")

    def broken(row):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(score_export, "_as_dict", broken)
    code, _, err = _run(
        capsys, "library", "export", "--format", "json", "--db", db, "--out", str(target)
    )
    assert code == 2 and "No space left on device" in err
    assert target.read_text(encoding="utf-8") == earlier and len(json.loads(earlier)) == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("scores")] == ["scores.json"]


def test_reading_commands_refuse_a_library_file_that_does_not_exist(tmp_path, capsys):
    """A typo in --db must not silently create (and report on) an empty library."""
    typo = tmp_path / "libary.sqlite3"
    for action in ("status", "export", "scan"):
        code, _, err = _run(capsys, "library", action, "--db", str(typo))
        assert code == 2 and "no library" in err.lower() and str(typo) in err, action
    assert not typo.exists()


def test_status_counts_quick_and_full_scores(tmp_path, photo_dir, capsys):
    db = str(tmp_path / "cli.sqlite3")
    assert _run(capsys, "library", "add", str(photo_dir), "--db", db)[0] == 0
    quick, full = PreprocessProfile(max_tiles=1), PreprocessProfile(max_tiles=12)
    with Library.open(db) as lib:
        for job in lib.claim_jobs(10, SYNTHETIC_MODEL.key, full.key, quick.key):
            lib.store_assessment(job, make_assessment(0.5, profile=quick))
        for job in lib.claim_jobs(2, SYNTHETIC_MODEL.key, full.key, quick.key):
            lib.store_assessment(job, make_assessment(0.6, profile=full))
    code, out, _ = _run(capsys, "library", "status", "--db", db)
    assert code == 0
    assert "scores shown: 2 full, 4 quick (1 tile); 4 full score(s) pending" in out
    assert "assessments: 8 (2 full, 6 quick;" in out
    code, out, _ = _run(capsys, "library", "export", "--format", "json", "--db", db)
    kinds = sorted(row["profile_kind"] for row in json.loads(out))
    assert kinds == ["full", "full", "quick", "quick", "quick", "quick"]


def test_scan_progress_says_how_far_and_how_long_is_left(capsys):
    from humanaes_desktop.commands.library import _ScanProgress

    progress = _ScanProgress()
    for done in (0, 500, 2000, 4000, 5000):
        progress(done, 5000)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("  read 2000/5000 files, ETA ")
    assert lines[1].startswith("  read 4000/5000 files, ETA ")
    assert lines[2] == "  read 5000/5000 files"


def test_groups_analyses_the_photos_then_lists_bursts_with_picks(tmp_path, capsys, generated_shoot):
    import shutil

    folder = tmp_path / "shoot"
    folder.mkdir()
    for path in [*generated_shoot.bursts["astronaut"], *generated_shoot.bracket]:
        shutil.copy2(path, folder / path.name)
    db = str(tmp_path / "groups.sqlite3")
    assert _run(capsys, "library", "add", str(folder), "--db", db)[0] == 0
    code, out, err = _run(capsys, "library", "groups", "--db", db)
    assert code == 0 and "analysing 11 photos" in err
    groups = json.loads(out)
    assert sorted(g["kind"] for g in groups) == ["bracket", "burst"]
    burst = next(g for g in groups if g["kind"] == "burst")
    assert burst["pick"].endswith(".jpg") and not burst["keep_whole"]
    blink = next(m for m in burst["members"] if m["path"].endswith("burst02.jpg"))
    assert blink["reasons"] == ["eyes_closed"] and blink["why"] == "eyes closed"

    code, out, err = _run(capsys, "library", "groups", "--db", db, "--format", "csv")
    assert code == 0 and "analysing" not in err  # nothing left to analyse
    rows = list(csv.DictReader(out.splitlines()))
    assert len(rows) == 11 and sum(r["suggested_pick"] == "True" for r in rows) == 1

    code, out, _ = _run(capsys, "library", "export", "--format", "json", "--db", db)
    exported = json.loads(out)
    assert {"sharpness", "eyes_closed", "group_kind", "pick_reasons"} <= set(exported[0])

    assert _run(capsys, "library", "groups", "--db", db, "--gap", "0")[0] == 2
    assert _run(capsys, "library", "groups", "--db", db, "--folder", "/nowhere")[0] == 2
