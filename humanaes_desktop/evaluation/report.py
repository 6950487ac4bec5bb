"""The evaluation's numbers and files: metrics.json, predictions.csv and the terminal table."""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from sklearn.metrics import confusion_matrix

from humanaes_desktop.engine.assessment import ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS, level_for
from humanaes_desktop.evaluation import metrics
from humanaes_desktop.evaluation.predict import Prediction

SYNTHETIC_NOTE = (
    "SYNTHETIC MODEL (random weights): these numbers measure nothing about real aesthetics."
)


def summarise(
    predictions: list[Prediction],
    *,
    identity: ModelIdentity,
    profile: PreprocessProfile,
    bootstrap: int,
) -> dict[str, Any]:
    """Everything metrics.json holds, computed over the photos that could be scored."""
    scored = [p for p in predictions if p.assessment is not None]
    summary: dict[str, Any] = {
        "model": {**asdict(identity), "key": identity.key},
        "profile": {**asdict(profile), "key": profile.key},
        "synthetic": identity.synthetic,
        "note": SYNTHETIC_NOTE if identity.synthetic else None,
        "counts": {
            "samples": len(predictions),
            "scored": len(scored),
            "reused": sum(p.reused for p in scored),
            "errors": len(predictions) - len(scored),
            "expert": sum(p.sample.is_expert for p in scored),
        },
    }
    if not scored:
        return summary
    pred = [p.assessment.overall for p in scored]  # type: ignore[union-attr]
    true = [p.sample.overall for p in scored]
    pred_levels = [level_for(v) for v in pred]
    true_levels = [p.sample.level for p in scored]
    summary["authors"] = metrics.authors_metrics(pred, true, pred_levels, true_levels)
    summary["standard"] = metrics.standard_metrics(pred, true)
    summary["bootstrap_95"] = {
        "resamples": bootstrap,
        "authors": metrics.bootstrap_intervals(pred, true, resamples=bootstrap),
        "standard": metrics.bootstrap_intervals(pred, true, resamples=bootstrap, absolute=False),
    }
    summary["confusion"] = {
        "levels": list(LEVELS),
        "rows_are": "ground truth",
        "matrix": confusion_matrix(true_levels, pred_levels, labels=list(LEVELS)).tolist(),
    }
    experts = [p for p in scored if p.sample.is_expert]
    if experts:
        summary["dimensions"] = metrics.dimension_correlations(
            [p.assessment.dimensions for p in experts],  # type: ignore[union-attr]
            [p.sample.dimensions for p in experts],  # type: ignore[misc]
            DIMENSION_KEYS,
        )
    return summary


def write_metrics(summary: dict[str, Any], path: Path) -> None:
    """metrics.json, replaced atomically (a crash never leaves half a file)."""
    _atomic_write(path, json.dumps(summary, indent=2, allow_nan=False) + "\n")


PREDICTION_COLUMNS = (
    "path",
    "true_overall",
    "true_level",
    *(f"true_{k}" for k in DIMENSION_KEYS),
    "overall",
    "level",
    "fast_score",
    *DIMENSION_KEYS,
    "error",
    "reason",
    "reused",
    "model_repo",
    "model_revision",
    "synthetic",
    "profile",
    "device",
    "dtype",
)


def prediction_row(p: Prediction, identity: ModelIdentity, profile: PreprocessProfile) -> dict:
    a, s = p.assessment, p.sample
    row: dict[str, Any] = {
        "path": str(s.path),
        "true_overall": s.overall,
        "true_level": s.level,
        **{f"true_{k}": (s.dimensions or {}).get(k, "") for k in DIMENSION_KEYS},
        "error": p.error or "",
        "reason": p.reason or "",
        "reused": int(p.reused),
        "model_repo": identity.repo,
        "model_revision": identity.revision,
        "synthetic": int(identity.synthetic),
        "profile": profile.key,
    }
    if a is not None:
        row.update(overall=a.overall, level=a.level, fast_score=a.fast_score, **a.dimensions)
        row.update(device=a.device, dtype=a.dtype)
    return row


def write_predictions(
    predictions: list[Prediction], identity: ModelIdentity, profile: PreprocessProfile, path: Path
) -> None:
    """predictions.csv: one row per labelled photo, scored or not."""
    with _atomic_file(path) as out:
        writer = csv.DictWriter(out, fieldnames=PREDICTION_COLUMNS, restval="")
        writer.writeheader()
        for p in predictions:
            writer.writerow(prediction_row(p, identity, profile))


def print_table(summary: dict[str, Any], out: TextIO) -> None:
    """The authors' table, the standard variants and the per-dimension correlations."""
    counts = summary["counts"]
    if summary["synthetic"]:
        out.write(f"!! {SYNTHETIC_NOTE}\n")
    out.write(
        f"{counts['scored']} of {counts['samples']} photos scored ({counts['reused']} from the "
        f"library, {counts['errors']} errors); {counts['expert']} with 12-dimension labels\n"
    )
    if "authors" not in summary:
        out.write("nothing could be scored: no metrics\n")
        return
    a, s, ci = summary["authors"], summary["standard"], summary["bootstrap_95"]
    out.write(
        "\nAuthors' conventions (absolute correlations, no fit; mse/mae are their square roots)\n"
    )
    for key in ("plcc", "srcc", "krcc"):
        out.write(f"  {key.upper():<16}{_num(a[key])}  95% CI {_interval(ci['authors'][key])}\n")
    for key, title in (("accuracy", "Accuracy"), ("precision", "mean Precision"),
                       ("recall", "mean Recall"), ("f1", "mean F1"), ("mse", "mse (RMSE)"),
                       ("mae", "mae (sqrt MAE)")):  # fmt: skip
        out.write(f"  {title:<16}{_num(a[key])}\n")
    out.write("\nStandard\n")
    for key, title in (("plcc", "PLCC"), ("srcc", "SRCC"), ("krcc", "KRCC"),
                       ("plcc_logistic", "PLCC (logistic)"), ("rmse", "RMSE"), ("mae", "MAE")):  # fmt: skip
        extra = f"  95% CI {_interval(ci['standard'][key])}" if key in ci["standard"] else ""
        out.write(f"  {title:<16}{_num(s[key])}{extra}\n")
    if "dimensions" in summary:
        out.write("\nPer dimension (signed, expert-labelled photos)\n")
        for key, value in summary["dimensions"].items():
            out.write(f"  {key:<24} PLCC {_num(value['plcc'])}  SRCC {_num(value['srcc'])}\n")


def _num(value: float | None) -> str:
    return "   n/a" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _interval(pair: list[float] | None) -> str:
    return "n/a" if pair is None else f"[{pair[0]:.4f}, {pair[1]:.4f}]"


def _atomic_write(path: Path, text: str) -> None:
    with _atomic_file(path) as out:
        out.write(text)


class _atomic_file:
    """A text file written beside its target and moved over it only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> TextIO:
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        os.chmod(self.tmp, 0o644)  # mkstemp's 0600 would hide the report from other readers
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self.file

    def __exit__(self, kind, *_exc) -> None:
        self.file.close()
        if kind is None:
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)
