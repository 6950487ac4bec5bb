"""`humanaes eval` end to end: the tiny synthetic model on labelled folders made from the sample
photos, in both label formats, with a missing and a corrupt photo; resumable through the library."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image
from scipy import stats
from sklearn.metrics import precision_score

from humanaes_desktop.cli import main
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, level_for
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from tests.support.photos import sample_photos

LEVEL_IDS = {"excellent": 0, "good": 1, "fair": 2, "poor": 3, "bad": 4}


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def labelled(tmp_path):
    """A HumanBeauty-style root: the sample photos in two subfolders, one truncated copy."""
    root = tmp_path / "HumanBeauty"
    names = []
    for i, photo in enumerate(sample_photos()):
        target = root / ("set_a" if i % 2 else "set_b") / photo.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(photo, target)
        names.append(target.relative_to(root).as_posix())
    broken = root / "set_a" / "broken.jpg"
    broken.write_bytes(sample_photos()[-1].read_bytes()[:2500])
    return root, names + ["set_a/broken.jpg", "set_b/never_there.jpg"]


def _humanbeauty_labels(path, names):
    rng = np.random.default_rng(7)
    with path.open("w", encoding="utf-8") as out:
        for i, name in enumerate(names):
            if i % 2:
                score = [round(float(v), 3) for v in rng.uniform(0, 1, 12)]
                item = {"image_name": name, "score": score, "is_expert": True, "text_level": "fair"}
            else:
                score = round(float(rng.uniform(0, 1)), 3)
                item = {"image_name": name, "score": score, "is_expert": False,
                        "text_level": level_for(score)}  # fmt: skip
            out.write(json.dumps(item) + "\n")
    return path


def _run(capsys, *args):
    code = main(["eval", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _rows(out_dir):
    with (out_dir / "predictions.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_humanbeauty_labels_end_to_end(tmp_path, capsys, labelled, tiny_model_dir):
    root, names = labelled
    labels = _humanbeauty_labels(tmp_path / "test.jsonl", names)
    out = tmp_path / "report"
    code, table, err = _run(
        capsys, labels, "--images-root", root, "--model", tiny_model_dir, "--out", out,
        "--bootstrap", "100",
    )  # fmt: skip
    assert code == 1  # two photos could not be scored
    assert "SYNTHETIC" in table and "SYNTHETIC" in err and "PLCC" in table
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["synthetic"] is True and "nothing" in summary["note"]
    assert summary["counts"] == {
        "samples": len(names), "scored": len(names) - 2, "reused": 0, "errors": 2,
        "expert": sum(1 for i in range(len(names) - 2) if i % 2),
    }  # fmt: skip
    rows = _rows(out)
    assert [r["path"] for r in rows] == [str(root / n) for n in names]
    errors = {r["path"].rsplit("/", 1)[-1]: r for r in rows if r["error"]}
    assert errors["never_there.jpg"]["error"] == "not_found"
    assert errors["broken.jpg"]["error"] and "broken.jpg" in errors["broken.jpg"]["reason"]
    assert all(r["synthetic"] == "1" and r["model_repo"] == "synthetic/tiny" for r in rows)
    _check_metrics_match_predictions(summary, [r for r in rows if not r["error"]])
    for picture in ("scatter.png", "confusion.png", "dimensions.png"):
        with Image.open(out / picture) as image:
            assert image.format == "PNG" and image.width > 300


def _check_metrics_match_predictions(summary, rows):
    """metrics.json equals the authors' calls on what predictions.csv says, to the last digit."""
    pred = [float(r["overall"]) for r in rows]
    true = [float(r["true_overall"]) for r in rows]
    authors = summary["authors"]
    assert authors["plcc"] == abs(stats.pearsonr(pred, true)[0])
    assert authors["srcc"] == abs(stats.spearmanr(pred, true)[0])
    assert authors["krcc"] == abs(stats.kendalltau(pred, true)[0])
    assert authors["mse"] == np.sqrt(np.mean((np.array(pred) - np.array(true)) ** 2) + 1e-8)
    p_ids = [LEVEL_IDS[r["level"]] for r in rows]
    t_ids = [LEVEL_IDS[r["true_level"]] for r in rows]
    assert authors["precision"] == np.mean(
        precision_score(t_ids, p_ids, average=None, zero_division=0)
    )
    matrix = np.array(summary["confusion"]["matrix"])
    assert matrix.sum() == len(rows)
    experts = [r for r in rows if r["true_comprehensive"]]
    looks = summary["dimensions"]["looks"]
    assert looks["n"] == len(experts)
    assert looks["plcc"] == pytest.approx(
        stats.pearsonr(
            [float(r["looks"]) for r in experts], [float(r["true_looks"]) for r in experts]
        )[0]
    )


def test_a_second_run_resumes_without_loading_the_model(
    tmp_path, capsys, labelled, tiny_model_dir, monkeypatch
):
    root, names = labelled
    labels = _humanbeauty_labels(tmp_path / "test.jsonl", names)
    out = tmp_path / "report"
    args = (
        labels,
        "--images-root",
        root,
        "--model",
        tiny_model_dir,
        "--out",
        out,
        "--bootstrap",
        "0",
    )
    _run(capsys, *args)
    first = json.loads((out / "metrics.json").read_text())

    def refuse(*_a, **_k):
        raise AssertionError("the model was loaded although every photo was assessed already")

    monkeypatch.setattr(HumanAesExpert, "load", refuse)
    code, _, _ = _run(capsys, *args)
    again = json.loads((out / "metrics.json").read_text())
    assert code == 1 and again["counts"]["reused"] == again["counts"]["scored"] == len(names) - 2
    assert again["authors"] == first["authors"]
    # the quick profile is another profile: nothing of the full one counts for it
    monkeypatch.undo()
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    _run(capsys, *args, "--profile", "quick")
    quick = json.loads((out / "metrics.json").read_text())
    assert quick["counts"]["reused"] == 0 and quick["profile"]["max_tiles"] == 1


def test_csv_labels_and_a_library_that_already_holds_the_photos(tmp_path, capsys, tiny_model_dir):
    root = tmp_path / "mine"
    root.mkdir()
    photos = sample_photos()[:4]
    for photo in photos:
        shutil.copy(photo, root / photo.name)
    labels = tmp_path / "mine.csv"
    values = ",".join(["0.5"] * 12)
    lines = [f"path,overall,{','.join(DIMENSION_KEYS)}"]
    lines += [f"{p.name},{0.2 + 0.15 * i:.2f},{values}" for i, p in enumerate(photos)]
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "library.sqlite3"
    assert main(["library", "add", str(root), "--db", str(db)]) == 0
    code, table, _ = _run(
        capsys, labels, "--images-root", root, "--model", tiny_model_dir, "--db", db,
        "--out", tmp_path / "out", "--bootstrap", "0",
    )  # fmt: skip
    assert code == 0 and "4 of 4 photos scored" in table
    # the scores landed in the user's own library, where the gallery shows them
    assert main(["library", "status", "--db", str(db)]) == 0
    status = capsys.readouterr().out
    assert "scored" in status and "4" in status


def test_usage_errors_are_one_line(tmp_path, capsys, tiny_model_dir):
    code, _, err = _run(
        capsys, tmp_path / "none.jsonl", "--images-root", tmp_path, "--model", tiny_model_dir
    )
    assert code == 2 and "cannot read the label file" in err and "Traceback" not in err
    labels = tmp_path / "l.csv"
    labels.write_text("path,overall\na.jpg,0.5\n")
    code, _, err = _run(
        capsys, labels, "--images-root", tmp_path / "nope", "--model", tiny_model_dir
    )
    assert code == 2 and "not a folder" in err
