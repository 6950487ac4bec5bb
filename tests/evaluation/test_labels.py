"""Reading label files: HumanBeauty JSON lines and the simple CSV, and what is refused."""

from __future__ import annotations

import json

import pytest

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.evaluation.labels import LabelFileError, read_labels


def _jsonl(path, items):
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_humanbeauty_lines_follow_the_authors_ground_truth_rules(tmp_path):
    expert = [0.5] * 11 + [0.85]
    labels = _jsonl(
        tmp_path / "test.jsonl",
        [
            {"image_name": "a/one.jpg", "score": 0.31, "is_expert": False, "text_level": "Good"},
            {"image_name": "b/two.jpg", "score": expert, "is_expert": True, "text_level": "fair"},
        ],
    )
    one, two = read_labels(labels, tmp_path / "root")
    assert one.path == tmp_path / "root" / "a" / "one.jpg"
    # overall-only: the text level as given (not the level of the score: 0.31 would be "poor")
    assert (one.overall, one.level, one.is_expert) == (0.31, "good", False)
    # expert: overall is the last of the 12, level derived from it (their script ignores text_level)
    assert (two.overall, two.level, two.is_expert) == (0.85, "excellent", True)
    assert list(two.dimensions) == list(DIMENSION_KEYS) and two.dimensions["comprehensive"] == 0.85


def test_csv_with_and_without_dimensions(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("path,overall\nx.jpg,0.42\n/abs/y.png,0.9\n", encoding="utf-8")
    x, y = read_labels(plain, tmp_path)
    assert (x.path, x.level, x.dimensions) == (tmp_path / "x.jpg", "fair", None)
    assert str(y.path) == "/abs/y.png" and y.level == "excellent"
    full = tmp_path / "full.csv"
    values = ",".join(str(round(0.05 * i, 2)) for i in range(12))
    full.write_text(f"path,overall,{','.join(DIMENSION_KEYS)}\nz.jpg,0.5,{values}\n")
    (z,) = read_labels(full, tmp_path)
    assert z.is_expert and z.dimensions["looks"] == 0.4 and z.overall == 0.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"image_name": "a.jpg", "score": 0.5, "text_level": "fair"}\n{oops\n', "line 2"),
        ('{"image_name": "a.jpg", "score": 1.5, "text_level": "fair"}\n', "outside [0, 1]"),
        ('{"image_name": "a.jpg", "score": [0.1, 0.2], "is_expert": true}\n', "12 values"),
        ('{"image_name": "a.jpg", "score": 0.5, "text_level": "superb"}\n', "text_level"),
        ('{"score": 0.5, "text_level": "fair"}\n', "image_name"),
        ('{"image_name": "a.jpg", "score": "high"}\n', "not a number"),
        ('{"image_name": "a.jpg", "score": NaN}\n', "outside"),
        ("name,score\na.jpg,0.5\n", "path,overall"),
        ("path,overall,outfit\na.jpg,0.5,0.4\n", "none or all 12"),
        ("path,overall\n,0.5\n", "empty"),
        ("path,overall\na.jpg,0.5\na.jpg,0.6\n", "labelled twice"),
        ("", "no labels"),
    ],
)
def test_bad_label_files_are_refused_with_the_place(tmp_path, content, message):
    path = tmp_path / "labels.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_labels(path, tmp_path)


def test_missing_and_binary_label_files(tmp_path):
    with pytest.raises(LabelFileError, match="cannot read"):
        read_labels(tmp_path / "absent.jsonl", tmp_path)
    binary = tmp_path / "labels.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(LabelFileError, match="UTF-8"):
        read_labels(binary, tmp_path)
