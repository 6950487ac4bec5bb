"""`humanaes score` over a folder of damaged and odd files: one line per file, no traceback."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from tests.support.failure_corpus import write_corpus


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def test_every_file_of_the_corpus_gets_exactly_one_line(tmp_path, tiny_model_dir) -> None:
    folder = tmp_path / "library"
    expected = write_corpus(folder)
    (folder / "layers.psd").write_bytes(b"8BPS" + bytes(100))  # recognised, not scorable
    (folder / "notes.txt").write_text("not a photo")  # not an image: no line
    command = [sys.executable, "-m", "humanaes_desktop", "score", str(folder)]
    command += ["--model", str(tiny_model_dir), "--max-tiles", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1  # some files failed; the run itself did not
    assert "Traceback" not in done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    by_name = {Path(line["path"]).name: line for line in lines}
    assert len(lines) == len(by_name) == len(expected) + 1
    for name, outcome in expected.items():
        line = by_name[name]
        assert line.get("error") == outcome.error, (name, line.get("reason"))
        if outcome.error is None:
            assert 0.0 <= line["overall"] <= 1.0
        else:
            assert name in line["reason"]
    assert by_name["layers.psd"]["error"] == "unsupported_format"
    assert "Photoshop" in by_name["layers.psd"]["reason"]


def test_an_unexpected_exception_on_one_file_is_that_files_error_line(
    tmp_path, tiny_model_dir, sample_photos_dir, monkeypatch, capsys, caplog
) -> None:
    real_assess = HumanAesExpert.assess
    calls = []

    def assess_with_a_bug(self, pixels, **options):
        calls.append(pixels.shape)
        if len(calls) == 1:
            raise AttributeError("'NoneType' object has no attribute 'shape'")
        return real_assess(self, pixels, **options)

    monkeypatch.setattr(HumanAesExpert, "assess", assess_with_a_bug)
    photos = [sample_photos_dir / "camera.png", sample_photos_dir / "coffee.png"]
    argv = ["score", *map(str, photos), "--model", str(tiny_model_dir), "--max-tiles", "1"]
    with caplog.at_level(logging.DEBUG, logger="humanaes_desktop.commands.score"):
        code = main(argv)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [line["path"] for line in lines] == [str(p) for p in photos]
    assert lines[0]["error"] == "scoring_failed" and "AttributeError" in lines[0]["reason"]
    assert 0.0 <= lines[1]["overall"] <= 1.0  # the run went on
    (record,) = [r for r in caplog.records if "scoring" in r.getMessage()]
    assert record.levelno == logging.DEBUG and record.exc_info is not None


def test_out_of_memory_falls_back_to_fewer_tiles(
    tiny_model_dir, sample_photos_dir, monkeypatch, capsys
) -> None:
    real_assess = HumanAesExpert.assess
    tiles_tried = []

    def assess_that_fits_one_tile(self, pixels, **options):
        tiles_tried.append(int(pixels.shape[0]))
        if pixels.shape[0] > 1:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_assess(self, pixels, **options)

    monkeypatch.setattr(HumanAesExpert, "assess", assess_that_fits_one_tile)
    photo = sample_photos_dir / "chelsea.png"
    code = main(["score", str(photo), "--model", str(tiny_model_dir), "--max-tiles", "4"])
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert line["profile"]["max_tiles"] == 1  # the score says which profile it really used
    assert tiles_tried == [3, 3, 1]  # 4 tiles allowed (2x1 + thumbnail), then 2, then 1
