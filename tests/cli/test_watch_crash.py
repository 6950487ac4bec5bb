"""Crash safety of `humanaes watch`, for real: SIGKILL at several points, restart, check the DB.

Real subprocesses, a real SQLite file, the tiny synthetic model, photos derived from the shared
ones. A kill may land anywhere; what must hold afterwards is what a user relies on: every photo
scored exactly once, the damaged one failed with a reason, no rating lost, the DB intact.
"""

from __future__ import annotations

import signal

import pytest

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import Flag, GalleryQuery
from tests.support.waiting import wait_until
from tests.support.watch_process import (
    assessment_count,
    make_photo_folder,
    make_wide_photo_folder,
    query,
    running_watch,
    watch_command,
)

pytestmark = pytest.mark.slow

RATINGS = {  # file name -> (stars, flag, colour) set by the user before any scoring
    "shot_00.jpg": (5, Flag.PICKED, "green"),
    "shot_03.jpg": (2, Flag.REJECTED, None),
    "truncated.jpg": (1, Flag.NONE, "red"),
}


def prepare_library(db, folder) -> dict[str, int]:
    """Scan once and set the user's ratings; returns image ids by file name."""
    with Library.open(db) as lib:
        lib.add_folder(folder)
        lib.scan_all()
        ids = lib.query_ids(GalleryQuery(sort_key="file_name", descending=False))
        by_name = {row.file_name: row.id for row in lib.rows(ids)}
        for name, (stars, flag, color) in RATINGS.items():
            lib.set_rating([by_name[name]], stars=stars, flag=flag, color=color or "")
    return by_name


def ratings_now(db) -> dict[int, tuple]:
    rows = query(db, "SELECT image_id, stars, flag, color FROM ratings")
    return {image_id: (stars, flag, color) for image_id, stars, flag, color in rows}


def kill_when(proc, condition, what: str) -> None:
    wait_until(condition, timeout=120, what=what, proc=proc)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL


def test_sigkill_at_any_point_loses_nothing(tmp_path, sample_photos_dir, tiny_model_dir):
    folder, db, log = tmp_path / "photos", tmp_path / "library.sqlite3", tmp_path / "watch.log"
    good = make_photo_folder(folder, sample_photos_dir)
    ids = prepare_library(db, folder)
    ratings_before = ratings_now(db)
    # One pass per photo here; the two passes of quick first have their own test below.
    args = watch_command(folder, db, tiny_model_dir, "--once", "--profile", "full")

    def run(kill_condition=None, what=""):
        with running_watch(args, tmp_path / "data", log) as proc:  # never left running
            if kill_condition is None:
                assert proc.wait(240) == 0, log.read_text()
            else:
                kill_when(proc, kill_condition, what)

    def log_says(text):
        return lambda: text in log.read_text()

    run(lambda: True, "right after start")
    run(log_says("loading model"), "model loading")
    run(lambda: assessment_count(db) >= 2, "2 assessments stored")
    run(lambda: assessment_count(db) >= 4, "4 assessments stored")
    run()  # to the end

    output = log.read_text()
    assert "interrupted job(s) back in the queue" in output  # a kill did land mid-image
    per_image = dict(query(db, "SELECT image_id, COUNT(*) FROM assessments GROUP BY image_id"))
    assert {name: per_image.get(ids[name], 0) for name in good} == {name: 1 for name in good}
    status = dict(query(db, "SELECT file_name, status FROM images"))
    assert all(status[name] == "scored" for name in good)
    ((failed_status, reason),) = query(
        db, "SELECT status, failure_reason FROM images WHERE file_name = 'truncated.jpg'"
    )
    assert failed_status == "failed" and reason
    assert ids["truncated.jpg"] not in per_image
    assert ratings_now(db) == ratings_before
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM jobs") == [(0,)], "a job was left behind"


def test_sigkill_during_either_pass_of_quick_first_loses_nothing(
    tmp_path, sample_photos_dir, tiny_model_dir
):
    folder, db, log = tmp_path / "photos", tmp_path / "library.sqlite3", tmp_path / "watch.log"
    good = make_wide_photo_folder(folder, sample_photos_dir)
    with Library.open(db) as lib:
        lib.add_folder(folder)
        lib.scan_all()
        ids = {row.file_name: row.id for row in lib.rows(lib.query_ids(GalleryQuery()))}
        lib.set_rating([ids["wide_01.jpg"]], stars=4, flag=Flag.PICKED, color="blue")
    ratings_before = ratings_now(db)
    args = watch_command(folder, db, tiny_model_dir, "--once", "--quick-first")  # max 2 tiles
    quick_before_full: list[bool] = []

    def quick_then(full_count: int):
        def condition() -> bool:
            full = assessment_count(db, max_tiles=2)
            if full:  # every quick pass came first
                quick_before_full.append(assessment_count(db, max_tiles=1) == len(good))
            return full >= full_count

        return condition

    def run(kill_condition=None, what=""):
        with running_watch(args, tmp_path / "data", log) as proc:
            if kill_condition is None:
                assert proc.wait(240) == 0, log.read_text()
            else:
                kill_when(proc, kill_condition, what)

    run(lambda: assessment_count(db, max_tiles=1) >= 2, "2 quick scores stored")
    run(lambda: "full pass" in log.read_text() or assessment_count(db, 2) >= 1, "full pass began")
    run(quick_then(3), "3 full scores stored")
    run()

    assert "interrupted job(s) back in the queue" in log.read_text()
    assert quick_before_full and all(quick_before_full)
    kinds = query(db, "SELECT image_id, max_tiles, COUNT(*) FROM assessments GROUP BY 1, 2")
    assert sorted(kinds) == sorted((ids[n], t, 1) for n in good for t in (1, 2))
    shown = dict(query(db, "SELECT file_name, max_tiles FROM images WHERE status = 'scored'"))
    assert shown == {name: 2 for name in good}  # every photo shows its full score
    ((status,),) = query(db, "SELECT status FROM images WHERE file_name = 'truncated.jpg'")
    assert status == "failed"
    assert ratings_now(db) == ratings_before
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM jobs") == [(0,)], "a job was left behind"
