"""The actor's work without Ray: bytes in, one row per photo out, equal to `humanaes score`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.cluster.results import assessment_from_result
from humanaes_desktop.cluster.scorer import Scorer, ScorerOptions, read_files
from humanaes_desktop.engine.culling.embedding import EMBEDDING_BYTES
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.errors import UserError
from humanaes_desktop.library.files import fingerprint

PROFILE = {"max_tiles": 2, "input_size": 448, "decode": "exact"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def manifest_batch(paths: list[Path]) -> dict[str, np.ndarray]:
    """What Ray hands the read stage: the manifest's columns as arrays."""
    return {
        "path": np.array([str(p) for p in paths], dtype=object),
        "library_path": np.array([f"/library/{p.name}" for p in paths], dtype=object),
        "fingerprint": np.array([f"manifest-{i}" for i in range(len(paths))], dtype=object),
        "size": np.array([0] * len(paths)),
    }


def scored_rows(scorer: Scorer, paths: list[Path]) -> list[dict]:
    read = read_files(manifest_batch(paths))
    batch = {name: read.column(name).to_numpy(zero_copy_only=False) for name in read.column_names}
    return scorer(batch).to_pylist()


def score_cli(capsys, paths: list[Path], model: Path) -> dict[str, dict]:
    main(["score", *map(str, paths), "--model", str(model), "--max-tiles", "2"])
    return {line["path"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())}


def assert_same_scores(row: dict, line: dict) -> None:
    assessment = assessment_from_result(row)
    assert assessment.overall == pytest.approx(line["overall"], abs=1e-5)
    assert assessment.fast_score == pytest.approx(line["fast_score"], abs=1e-5)
    for key in DIMENSION_KEYS:
        assert assessment.dimensions[key] == pytest.approx(line["dimensions"][key], abs=1e-5)
    assert (assessment.level, assessment.tiles) == (line["level"], line["tiles"])
    assert (assessment.device, assessment.dtype) == (line["device"], line["dtype"])
    assert assessment.expert_text == line["expert_text"]


@pytest.mark.parametrize("vision_batch_tiles", [0, 12], ids=["one_at_a_time", "batched"])
def test_one_row_per_photo_equal_to_humanaes_score(
    capsys, tmp_path, tiny_model_dir, photo_set, vision_batch_tiles
):
    missing = tmp_path / "gone.jpg"
    paths = [*photo_set.good[:4], photo_set.corrupt, photo_set.empty, missing, photo_set.good[4]]
    options = ScorerOptions(str(tiny_model_dir), PROFILE, "run-1", threads=1,
                            vision_batch_tiles=vision_batch_tiles)  # fmt: skip
    rows = scored_rows(Scorer(options), paths)
    assert [row["path"] for row in rows] == [str(p) for p in paths]
    by_path = {row["path"]: row for row in rows}
    assert by_path[str(photo_set.corrupt)]["error"] == "truncated_image"
    assert "damaged" in by_path[str(photo_set.corrupt)]["reason"]
    assert by_path[str(photo_set.empty)]["error"] == "empty_image_file"
    assert by_path[str(missing)]["error"] == "not_found"
    assert "does not exist on this node" in by_path[str(missing)]["reason"]
    reference = score_cli(capsys, [*photo_set.good[:5]], tiny_model_dir)
    for path in photo_set.good[:5]:
        row = by_path[str(path)]
        assert row["error"] is None and row["fingerprint"] == fingerprint(str(path))
        assert row["manifest_fingerprint"].startswith("manifest-")
        assert row["library_path"] == f"/library/{path.name}"
        assert row["synthetic"] is True and row["actor_model_loads"] >= 1
        assert_same_scores(row, reference[str(path)])
        assert len(row["embedding"]) == EMBEDDING_BYTES  # culling's scenes, batched or not
        timings = json.loads(row["timings_json"])
        assert {"read", "decode", "vision", "lm", "total"} <= set(timings)
    assert by_path[str(photo_set.corrupt)]["embedding"] is None
    for row in rows:  # every row says what it was scored with, error rows too
        assert row["model_key"] and row["profile_key"] == "tiles=2;size=448;decode=exact"
        assert row["run_id"] == "run-1" and row["actor"]


def test_a_model_other_than_the_manifests_is_refused(tiny_model_dir):
    options = ScorerOptions(str(tiny_model_dir), PROFILE, "run-1", expected_model_key="other@x")
    with pytest.raises(UserError, match="the manifest is for other@x"):
        Scorer(options)
