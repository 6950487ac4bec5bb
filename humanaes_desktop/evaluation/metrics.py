"""Agreement between predicted and ground-truth scores, the model authors' way and the standard way.

The authors' conventions (their `eval_HumanAesExpert.py` and `utils/calculate_metrics.py`):
- PLCC, SRCC and KRCC are the ABSOLUTE values of scipy's Pearson, Spearman and Kendall (tau-b)
  coefficients of prediction vs ground truth, with no logistic fit;
- levels are compared as class ids (excellent 0, good 1, fair 2, poor 3, bad 4): accuracy, then
  precision, recall and F1 per class (scikit-learn, `average=None`, over the classes that occur in
  either list) and their plain mean;
- their "mse" is sqrt(mean((p - t)^2) + 1e-8) — an RMSE — and their "mae" is
  sqrt(mean(|p - t|) + 1e-8), the square root of the MAE.
Beside them (labelled "standard"): signed correlations, the PLCC after the 4-parameter logistic fit
the VQEG recommends (the authors' own `fit_curve` form and starting point, which they leave unused),
plain RMSE and MAE, and bootstrap 95% intervals for the correlations.
Undefined values (a constant prediction has no correlation) are None, never a made-up number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from humanaes_desktop.engine.dimensions import LEVELS

AUTHORS_EPS = 1e-8
# The authors' class ids (utils/judge_answer.py): best level first.
AUTHORS_CLASS_IDS: dict[str, int] = {level: i for i, level in enumerate(reversed(LEVELS))}

Correlation = Callable[[np.ndarray, np.ndarray], float]


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _quietly(fn: Callable[[], Any]) -> Any:
    """scipy warns on constant input and returns NaN; the NaN is reported as None instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn()


def pearson(p: np.ndarray, t: np.ndarray) -> float:
    return float(_quietly(lambda: stats.pearsonr(p, t)[0])) if len(p) > 1 else math.nan


def spearman(p: np.ndarray, t: np.ndarray) -> float:
    return float(_quietly(lambda: stats.spearmanr(p, t)[0])) if len(p) > 1 else math.nan


def kendall(p: np.ndarray, t: np.ndarray) -> float:
    return float(_quietly(lambda: stats.kendalltau(p, t)[0])) if len(p) > 1 else math.nan


CORRELATIONS: dict[str, Correlation] = {"plcc": pearson, "srcc": spearman, "krcc": kendall}


def authors_metrics(
    predicted: Sequence[float],
    truth: Sequence[float],
    predicted_levels: Sequence[str],
    true_levels: Sequence[str],
) -> dict[str, Any]:
    """The authors' table: |PLCC|, |SRCC|, |KRCC|, accuracy, mean P/R/F1, their mse and mae."""
    p, t = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    result: dict[str, Any] = {name: _finite(abs(fn(p, t))) for name, fn in CORRELATIONS.items()}
    result.update(level_metrics(predicted_levels, true_levels))
    result["mse"] = float(np.sqrt(np.mean((p - t) ** 2) + AUTHORS_EPS))
    result["mae"] = float(np.sqrt(np.mean(np.abs(p - t)) + AUTHORS_EPS))
    return result


def level_metrics(predicted_levels: Sequence[str], true_levels: Sequence[str]) -> dict[str, Any]:
    """Accuracy and per-class precision/recall/F1 on the authors' class ids, with their means."""
    pred = np.array([AUTHORS_CLASS_IDS[level] for level in predicted_levels])
    true = np.array([AUTHORS_CLASS_IDS[level] for level in true_levels])
    classes = sorted(set(pred.tolist()) | set(true.tolist()))
    with warnings.catch_warnings():
        # A class never predicted has precision 0 (scikit-learn's value too, with a warning).
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        precision, recall, f1, support = precision_recall_fscore_support(
            true, pred, labels=classes, average=None, zero_division=0
        )
    names = {i: level for level, i in AUTHORS_CLASS_IDS.items()}
    return {
        "accuracy": float(accuracy_score(true, pred)),
        "precision": float(np.mean(precision)),
        "recall": float(np.mean(recall)),
        "f1": float(np.mean(f1)),
        "per_class": {
            names[c]: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, c in enumerate(classes)
        },
    }


def logistic_4(x: np.ndarray, b1: float, b2: float, b3: float, b4: float) -> np.ndarray:
    """The VQEG 4-parameter logistic mapping predictions onto the ground-truth scale."""
    return (b1 - b2) / (1 + np.exp(-(x - b3) / b4)) + b2


def logistic_betas(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray | None:
    """The fitted logistic's four parameters, or None where no fit exists (constant input,
    too few photos, no convergence)."""
    if len(predicted) < 4 or np.std(predicted) == 0:
        return None
    start = [np.max(truth), np.min(truth), np.mean(predicted), np.std(predicted) / 4.0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            betas, _ = optimize.curve_fit(logistic_4, predicted, truth, p0=start, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    return betas if np.all(np.isfinite(logistic_4(predicted, *betas))) else None


def logistic_fit(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray | None:
    """Predictions mapped through the fitted logistic, or None where no fit exists."""
    betas = logistic_betas(predicted, truth)
    return None if betas is None else logistic_4(predicted, *betas)


def standard_metrics(predicted: Sequence[float], truth: Sequence[float]) -> dict[str, Any]:
    """Signed correlations, PLCC after the logistic fit, plain RMSE and MAE."""
    p, t = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    result: dict[str, Any] = {name: _finite(fn(p, t)) for name, fn in CORRELATIONS.items()}
    fitted = logistic_fit(p, t)
    result["plcc_logistic"] = None if fitted is None else _finite(pearson(fitted, t))
    result["rmse"] = float(np.sqrt(np.mean((p - t) ** 2)))
    result["mae"] = float(np.mean(np.abs(p - t)))
    return result


def bootstrap_intervals(
    predicted: Sequence[float],
    truth: Sequence[float],
    *,
    resamples: int = 1000,
    seed: int = 0,
    absolute: bool = True,
) -> dict[str, list[float] | None]:
    """95% percentile-bootstrap intervals of each correlation (pairs resampled together)."""
    p, t = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    out: dict[str, list[float] | None] = {}
    for name, fn in CORRELATIONS.items():
        out[name] = _interval(p, t, fn, resamples, seed, absolute)
    return out


def _interval(
    p: np.ndarray, t: np.ndarray, fn: Correlation, resamples: int, seed: int, absolute: bool
) -> list[float] | None:
    if resamples < 1 or len(p) < 3 or not math.isfinite(fn(p, t)):
        return None

    def statistic(x: np.ndarray, y: np.ndarray) -> float:
        value = fn(x, y)
        return abs(value) if absolute else value

    result = _quietly(
        lambda: stats.bootstrap(
            (p, t),
            statistic,
            paired=True,
            vectorized=False,
            n_resamples=resamples,
            confidence_level=0.95,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    )
    low, high = result.confidence_interval
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return [float(low), float(high)]


def dimension_correlations(
    predicted: Sequence[dict[str, float]], truth: Sequence[dict[str, float]], keys: Sequence[str]
) -> dict[str, dict[str, float | None]]:
    """Signed PLCC and SRCC per dimension over the expert samples."""
    out = {}
    for key in keys:
        p = np.array([d[key] for d in predicted], dtype=float)
        t = np.array([d[key] for d in truth], dtype=float)
        out[key] = {"plcc": _finite(pearson(p, t)), "srcc": _finite(spearman(p, t)), "n": len(p)}
    return out
