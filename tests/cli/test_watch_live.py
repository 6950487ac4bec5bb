"""`humanaes watch` as a user runs it: live pickup of a new photo, Ctrl-C, and a missing model."""

from __future__ import annotations

import signal

import pytest

from humanaes_desktop.cli import main
from tests.support.waiting import wait_until
from tests.support.watch_process import make_photo_folder, query, running_watch, watch_command

pytestmark = pytest.mark.slow


def status_of(db, name: str) -> str | None:
    rows = query(db, "SELECT status FROM images WHERE file_name = ?", (name,))
    return rows[0][0] if rows else None


def test_photo_copied_in_while_watching_is_scored_then_ctrl_c_exits_cleanly(
    tmp_path, sample_photos_dir, tiny_model_dir
):
    folder, db, log = tmp_path / "photos", tmp_path / "library.sqlite3", tmp_path / "watch.log"
    make_photo_folder(folder, sample_photos_dir, count=1)
    with running_watch(watch_command(folder, db, tiny_model_dir), tmp_path / "data", log) as proc:
        wait_until(lambda: status_of(db, "shot_00.jpg") == "scored", 120, "first photo", proc)
        wait_until(lambda: "idle" in log.read_text(), 30, "worker idle", proc)

        (folder / "new_arrival.png").write_bytes((sample_photos_dir / "chelsea.png").read_bytes())
        # A few seconds: the watcher's settle time plus one tiny-model assessment.
        wait_until(lambda: status_of(db, "new_arrival.png") == "scored", 10, "new photo", proc)

        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0, log.read_text()
    output = log.read_text()
    assert "stopping" in output and "2 scored, 1 failed, 0 still queued" in output
    assert query(db, "SELECT COUNT(*) FROM jobs WHERE state = 'running'") == [(0,)]


def test_once_with_a_model_folder_that_does_not_load_exits_2_with_the_reason(
    tmp_path, sample_photos_dir, monkeypatch, capsys
):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "photos"
    make_photo_folder(folder, sample_photos_dir, count=1)
    empty_model = tmp_path / "not_a_model"
    empty_model.mkdir()
    db = tmp_path / "library.sqlite3"
    code = main(["watch", str(folder), "--db", str(db), "--model", str(empty_model), "--once"])
    err = capsys.readouterr().err
    assert code == 2
    error_lines = [line for line in err.splitlines() if line.startswith("humanaes: error:")]
    assert len(error_lines) == 1 and "not_a_model" in error_lines[0]
    # Nothing was scored and nothing is stuck: the photos wait in the queue for a model.
    assert query(db, "SELECT state, COUNT(*) FROM jobs GROUP BY state") == [("queued", 2)]


def test_no_installed_model_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "photos"
    folder.mkdir()
    code = main(["watch", str(folder), "--db", str(tmp_path / "lib.sqlite3"), "--once"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no model installed" in err and "humanaes model download" in err


def test_sigterm_stops_cleanly_like_ctrl_c(tmp_path, sample_photos_dir, tiny_model_dir):
    folder, db, log = tmp_path / "photos", tmp_path / "library.sqlite3", tmp_path / "watch.log"
    make_photo_folder(folder, sample_photos_dir, count=1)
    with running_watch(watch_command(folder, db, tiny_model_dir), tmp_path / "data", log) as proc:
        wait_until(lambda: "idle" in log.read_text(), 120, "worker idle", proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text()
    assert "1 scored, 1 failed, 0 still queued" in log.read_text()
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
