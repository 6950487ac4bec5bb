"""Ground-truth label files for `humanaes eval`: HumanBeauty JSON lines, or a simple CSV.

HumanBeauty (the model authors' dataset) stores one JSON object per line: `image_name` (relative
to the dataset root), `score` (a float for overall-only samples, or a list of 12 for expert
samples, in the model's dimension order, the last entry being the overall), `is_expert` and
`text_level`. The authors' ground truth is `score` (or `score[-1]` for expert samples), and the
ground-truth level is `text_level` for overall-only samples but the level of `score[-1]` for expert
samples (their eval script); `LabelledImage.level` follows that rule exactly.

The CSV form is `path,overall[,<the 12 dimension keys>]`, one header row; paths are relative to
the images root or absolute. A sample with all 12 dimension columns counts as an expert sample.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS, level_for
from humanaes_desktop.errors import UserError


class LabelFileError(UserError):
    """A label file that cannot be read, or a line of it that does not make sense."""


@dataclass(frozen=True)
class LabelledImage:
    """One labelled photo: where it is and what the raters said."""

    name: str  # as written in the label file
    path: Path  # resolved under the images root
    overall: float  # the ground-truth overall score in [0, 1]
    level: str  # the ground-truth level, by the authors' rule (module docstring)
    dimensions: dict[str, float] | None  # all 12 for expert samples, else None

    @property
    def is_expert(self) -> bool:
        return self.dimensions is not None


def read_labels(label_file: Path, images_root: Path) -> list[LabelledImage]:
    """All samples of a label file (format chosen by content: CSV header or JSON lines)."""
    try:
        text = label_file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LabelFileError(f"cannot read the label file {label_file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise LabelFileError(f"{label_file} is not a UTF-8 text file") from exc
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        raise LabelFileError(f"{label_file} holds no labels")
    if first.startswith("{"):
        samples = _read_json_lines(text, label_file, images_root)
    else:
        samples = _read_csv(text, label_file, images_root)
    _refuse_duplicates(samples, label_file)
    return samples


def _read_json_lines(text: str, source: Path, root: Path) -> list[LabelledImage]:
    samples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}, line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(item, dict):
            raise LabelFileError(f"{where}: expected a JSON object")
        samples.append(_from_humanbeauty(item, where, root))
    return samples


def _from_humanbeauty(item: dict, where: str, root: Path) -> LabelledImage:
    name = item.get("image_name")
    if not isinstance(name, str) or not name:
        raise LabelFileError(f"{where}: 'image_name' is missing")
    score = item.get("score")
    if isinstance(score, list):
        values = [_score(v, where, "score") for v in score]
        if len(values) != len(DIMENSION_KEYS):
            raise LabelFileError(f"{where}: an expert 'score' has 12 values, not {len(values)}")
        overall = values[-1]
        return LabelledImage(
            name,
            _resolve(name, root),
            overall,
            level_for(overall),
            dict(zip(DIMENSION_KEYS, values, strict=True)),
        )
    overall = _score(score, where, "score")
    level = item.get("text_level")
    if level is None:
        level = level_for(overall)
    if not isinstance(level, str) or level.strip().lower() not in LEVELS:
        raise LabelFileError(f"{where}: 'text_level' {level!r} is not one of {', '.join(LEVELS)}")
    return LabelledImage(name, _resolve(name, root), overall, level.strip().lower(), None)


def _read_csv(text: str, source: Path, root: Path) -> list[LabelledImage]:
    rows = csv.DictReader(text.splitlines())
    header = [h.strip() for h in rows.fieldnames or []]
    if header[:2] != ["path", "overall"]:
        raise LabelFileError(
            f"{source}: a CSV label file starts with the columns path,overall (found {header[:2]})"
        )
    present = [k for k in DIMENSION_KEYS if k in header]
    unknown = [h for h in header[2:] if h not in DIMENSION_KEYS]
    if unknown or present and len(present) != len(DIMENSION_KEYS):
        raise LabelFileError(
            f"{source}: after path,overall come either none or all 12 dimension columns "
            f"({', '.join(DIMENSION_KEYS)}); unexpected or missing: {unknown or 'some dimensions'}"
        )
    samples = []
    for number, raw in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"{source}, line {number}"
        if not row.get("path"):
            raise LabelFileError(f"{where}: the path is empty")
        overall = _score(row["overall"], where, "overall")
        dims = {k: _score(row[k], where, k) for k in present} or None
        samples.append(
            LabelledImage(
                row["path"], _resolve(row["path"], root), overall, level_for(overall), dims
            )
        )
    return samples


def _score(value: object, where: str, field: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LabelFileError(f"{where}: {field} {value!r} is not a number") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise LabelFileError(f"{where}: {field} {number} is outside [0, 1]")
    return number


def _resolve(name: str, root: Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else root / path


def _refuse_duplicates(samples: list[LabelledImage], source: Path) -> None:
    seen: set[Path] = set()
    for sample in samples:
        if sample.path in seen:
            raise LabelFileError(f"{source}: {sample.name} is labelled twice")
        seen.add(sample.path)
