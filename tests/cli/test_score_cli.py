"""`humanaes score` on the real sample photos with the tiny synthetic model."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys

import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from tests.support.photos import sample_photos

FIELDS = {
    "path",
    "overall",
    "level",
    "fast_score",
    "dimensions",
    "expert_text",
    "annotation",
    "timings",
    "model",
    "synthetic",
    "profile",
    "profile_kind",
    "tiles",
    "device",
    "dtype",
    "attention",
}


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scores_every_shared_photo_as_one_json_line(capsys, sample_photos_dir, tiny_model_dir):
    code, out, err = run(
        capsys, "score", str(sample_photos_dir), "--model", str(tiny_model_dir), "--max-tiles", "1"
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    photos = sample_photos()
    assert [line["path"] for line in lines] == [str(p) for p in photos]
    for line in lines:
        assert set(line) == FIELDS
        assert 0.0 <= line["overall"] <= 1.0
        assert set(line["dimensions"]) == set(DIMENSION_KEYS)
        assert line["synthetic"] is True and line["model"]["synthetic"] is True
        assert line["profile"] == {"max_tiles": 1, "input_size": 448, "decode": "exact"}
        assert line["annotation"] is None and line["tiles"] == 1
        assert line["profile_kind"] == "quick"  # one tile is the quick look, whatever asked it
    assert "SYNTHETIC" in err
    assert "Traceback" not in err


def test_bad_file_gets_an_error_line_and_exit_code_1(
    capsys, sample_photos_dir, tmp_path, tiny_model_dir
):
    folder = tmp_path / "shoot"
    folder.mkdir()
    shutil.copy(sample_photos_dir / "coffee.png", folder / "a_coffee.png")
    (folder / "b_broken.jpg").write_text("this is not a JPEG")
    shutil.copy(sample_photos_dir / "camera.png", folder / "c_camera.png")
    code, out, err = run(
        capsys, "score", str(folder), "--model", str(tiny_model_dir), "--max-tiles", "1"
    )
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [os.path.basename(line["path"]) for line in lines] == [
        "a_coffee.png",
        "b_broken.jpg",
        "c_camera.png",
    ]
    broken = lines[1]
    assert set(broken) == {"path", "error", "reason"}
    assert "b_broken.jpg" in broken["reason"]
    assert "overall" in lines[0] and "overall" in lines[2]
    assert "Traceback" not in err


def test_missing_image_path_is_reported_and_the_run_continues(
    capsys, sample_photos_dir, tiny_model_dir
):
    code, out, _ = run(
        capsys,
        "score",
        str(sample_photos_dir / "coffee.png"),
        str(sample_photos_dir / "no_such_photo.jpg"),
        "--model",
        str(tiny_model_dir),
        "--max-tiles",
        "1",
    )
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert "overall" in lines[0] and "error" in lines[1]


def test_csv_has_main_columns_and_the_12_dimensions(capsys, sample_photos_dir, tiny_model_dir):
    code, out, _ = run(
        capsys,
        "score",
        str(sample_photos_dir / "grace_hopper.jpg"),
        "--model",
        str(tiny_model_dir),
        "--max-tiles",
        "1",
        "--format",
        "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1
    row = rows[0]
    assert row["path"].endswith("grace_hopper.jpg") and row["synthetic"] == "True"
    assert all(0.0 <= float(row[key]) <= 1.0 for key in DIMENSION_KEYS)
    assert row["level"] in {"bad", "poor", "fair", "good", "excellent"}


def test_missing_model_folder_is_one_line_exit_2_no_traceback(tmp_path, sample_photos_dir):
    env = {**os.environ, "HUMANAES_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "humanaes_desktop",
            "score",
            str(sample_photos_dir / "coffee.png"),
            "--model",
            str(tmp_path / "no-model"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "humanaes model download" in proc.stderr and "Traceback" not in proc.stderr


def test_unverified_folder_is_refused_with_the_trust_hint(capsys, tmp_path, sample_photos_dir):
    folder = tmp_path / "finetune"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    code, out, err = run(
        capsys, "score", str(sample_photos_dir / "coffee.png"), "--model", str(folder)
    )
    assert code == 2 and out == ""
    assert "--trust-model-folder" in err


def test_no_model_installed_says_how_to_get_one(capsys, sample_photos_dir):
    code, _, err = run(capsys, "score", str(sample_photos_dir / "coffee.png"))
    assert code == 2
    assert "humanaes model download" in err and "humanaes model synth" in err


@pytest.fixture(scope="module")
def four_by_three(tmp_path_factory, sample_photos_dir):
    """A 4:3 JPEG: the reference code's tiling gives it 12 tiles + a thumbnail at max 12."""
    from PIL import Image

    path = tmp_path_factory.mktemp("camera") / "four_by_three.jpg"
    with Image.open(sample_photos_dir / "chelsea.png") as image:
        image.convert("RGB").resize((1600, 1200)).save(path, quality=85)
    return path


# Full at --max-tiles 4 (2 x 2 tiles + thumbnail) keeps the tiny model quick on a shared machine.
@pytest.mark.parametrize(
    ("extra", "tiles", "kind"),
    [(("--profile", "quick"), 1, "quick"), (("--profile", "full", "--max-tiles", "4"), 5, "full")],
)
def test_profile_quick_feeds_the_whole_photo_as_one_tile(
    capsys, four_by_three, tiny_model_dir, extra, tiles, kind
):
    code, out, _ = run(capsys, "score", str(four_by_three), "--model", str(tiny_model_dir), *extra)
    assert code == 0
    (line,) = [json.loads(text) for text in out.splitlines()]
    assert (line["tiles"], line["profile_kind"]) == (tiles, kind)
    assert line["profile"]["max_tiles"] == (1 if kind == "quick" else 4)


def test_quick_profile_with_a_tile_count_is_a_usage_error(capsys, sample_photos_dir):
    code, out, err = run(
        capsys, "score", str(sample_photos_dir / "coffee.png"), "--profile", "quick",
        "--max-tiles", "6",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert "--profile quick always feeds one tile" in err
