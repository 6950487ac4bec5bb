"""`humanaes score` with inputs that cannot be scored: one clear line each, the run goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from humanaes_desktop.cli import main


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def _lines(out: str) -> dict[str, dict]:
    return {line["path"]: line for line in map(json.loads, out.splitlines())}


def test_missing_file_and_pipe_get_error_lines_and_good_photos_still_score(
    tmp_path, sample_photos_dir, tiny_model_dir
):
    missing = tmp_path / "gone.jpg"
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)  # opening it for reading would wait for a writer forever
    good = sample_photos_dir / "camera.png"
    command = [sys.executable, "-m", "humanaes_desktop", "score", str(missing), str(pipe)]
    command += [str(good), "--model", str(tiny_model_dir), "--max-tiles", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 1  # something failed; not a crash (2) and not a hang
    lines = _lines(done.stdout)
    assert lines[str(missing)]["error"] == "not_found"
    assert lines[str(missing)]["reason"] == f"{missing} does not exist"
    assert lines[str(pipe)]["error"] == "unreadable_image"
    assert "not a regular file" in lines[str(pipe)]["reason"]
    assert 0.0 <= lines[str(good)]["overall"] <= 1.0
    assert "Traceback" not in done.stderr


def test_a_folder_that_cannot_be_listed_is_reported(
    tmp_path, sample_photos_dir, tiny_model_dir, monkeypatch, capsys
):
    readable, locked = tmp_path / "readable", tmp_path / "locked"
    readable.mkdir()
    locked.mkdir()
    (readable / "camera.png").write_bytes((sample_photos_dir / "camera.png").read_bytes())
    real_scandir = os.scandir

    def scandir(path=".", *args):
        # Tests may run as root, which chmod cannot lock out: refuse the listing directly.
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    code = main(["score", str(readable), str(locked), "--model", str(tiny_model_dir)])
    out, _err = capsys.readouterr()
    lines = _lines(out)
    assert code == 1
    assert lines[str(locked)] == {
        "path": str(locked),
        "error": "unreadable_folder",
        "reason": f"{locked}: cannot list this folder (Permission denied)",
    }
    assert "overall" in lines[str(readable / "camera.png")]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_cuda_is_a_one_line_error(capsys, sample_photos_dir, tiny_model_dir):
    code = main(
        ["score", str(sample_photos_dir / "camera.png"), "--model", str(tiny_model_dir)]
        + ["--device", "cuda"]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("humanaes: error: --device cuda was requested but no CUDA GPU")
    assert "use --device cpu or auto" in err and "Traceback" not in err
