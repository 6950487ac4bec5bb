"""The metrics: hand-computed small cases, and equality with scipy/scikit-learn called the way the
model authors' evaluation script calls them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from humanaes_desktop.engine.dimensions import level_for
from humanaes_desktop.evaluation import metrics

PRED = [0.1, 0.2, 0.3, 0.4]
TRUE = [0.1, 0.3, 0.2, 0.4]


def test_hand_computed_correlations_and_errors():
    m = metrics.authors_metrics(PRED, TRUE, ["bad"] * 4, ["bad"] * 4)
    # deviations (-.15, -.05, .05, .15) vs (-.15, .05, -.05, .15): cov .04 over var .05
    assert m["plcc"] == pytest.approx(0.8)
    # rank differences (0, 1, -1, 0): 1 - 6 * 2 / (4 * 15)
    assert m["srcc"] == pytest.approx(0.8)
    # 6 pairs, one discordant: (5 - 1) / 6
    assert m["krcc"] == pytest.approx(4 / 6)
    # errors (0, -.1, .1, 0): their "mse" is an RMSE plus 1e-8 inside the root, "mae" a root too
    assert m["mse"] == pytest.approx(math.sqrt(0.005 + 1e-8), abs=1e-15)
    assert m["mae"] == pytest.approx(math.sqrt(0.05 + 1e-8), abs=1e-15)
    s = metrics.standard_metrics(PRED, TRUE)
    assert s["rmse"] == pytest.approx(math.sqrt(0.005)) and s["mae"] == pytest.approx(0.05)


def test_authors_correlations_are_absolute_standard_ones_signed():
    reversed_truth = TRUE[::-1]
    authors = metrics.authors_metrics(PRED, reversed_truth, ["bad"] * 4, ["bad"] * 4)
    standard = metrics.standard_metrics(PRED, reversed_truth)
    assert standard["plcc"] == pytest.approx(-0.8) and authors["plcc"] == pytest.approx(0.8)
    assert standard["srcc"] < 0 < authors["srcc"]


def test_ties_use_kendall_tau_b_and_average_ranks():
    pred, true = [0.5, 0.5, 0.7, 0.9], [0.1, 0.2, 0.2, 0.8]
    m = metrics.authors_metrics(pred, true, ["fair"] * 4, ["fair"] * 4)
    # tau-b: concordant 4, discordant 0, ties only in x: 1, only in y: 1 -> 4 / sqrt(5 * 5)
    assert m["krcc"] == pytest.approx(4 / 5)
    assert m["srcc"] == pytest.approx(stats.spearmanr(pred, true)[0])


def test_constant_predictions_have_no_correlation_and_no_fit():
    m = metrics.authors_metrics([0.5] * 5, [0.1, 0.2, 0.3, 0.4, 0.9], ["fair"] * 5, ["bad"] * 5)
    assert m["plcc"] is None and m["srcc"] is None and m["krcc"] is None
    s = metrics.standard_metrics([0.5] * 5, [0.1, 0.2, 0.3, 0.4, 0.9])
    assert s["plcc_logistic"] is None
    intervals = metrics.bootstrap_intervals([0.5] * 5, [0.1, 0.2, 0.3, 0.4, 0.9], resamples=50)
    assert intervals == {"plcc": None, "srcc": None, "krcc": None}


def test_a_class_never_predicted_counts_with_precision_zero():
    true = ["good", "good", "fair", "poor"]
    pred = ["good", "fair", "fair", "fair"]  # "poor" is never predicted
    m = metrics.level_metrics(pred, true)
    assert m["per_class"]["poor"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    # good: P 1/1 R 1/2; fair: P 1/3 R 1/1; poor: P 0 R 0 -> means over the three classes
    assert m["precision"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m["recall"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert m["accuracy"] == pytest.approx(0.5)
    assert "excellent" not in m["per_class"]  # neither true nor predicted: not averaged in


def _authors_way(pred, true):
    """The authors' script, restated: class ids excellent 0 .. bad 4, scikit-learn defaults."""
    ids = {"excellent": 0, "good": 1, "fair": 2, "poor": 3, "bad": 4}
    p_ids = np.array([ids[level_for(v)] for v in pred])
    t_ids = np.array([ids[level_for(v)] for v in true])
    return {
        "accuracy": accuracy_score(t_ids, p_ids),
        "precision": np.mean(precision_score(t_ids, p_ids, average=None, zero_division=0)),
        "recall": np.mean(recall_score(t_ids, p_ids, average=None, zero_division=0)),
        "f1": np.mean(f1_score(t_ids, p_ids, average=None, zero_division=0)),
        "plcc": abs(stats.pearsonr(pred, true)[0]),
        "srcc": abs(stats.spearmanr(pred, true)[0]),
        "krcc": abs(stats.kendalltau(pred, true)[0]),
        "mse": np.sqrt(np.mean((np.array(pred) - np.array(true)) ** 2) + 1e-8),
        "mae": np.sqrt(np.mean(np.abs(np.array(pred) - np.array(true))) + 1e-8),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_to_the_authors_calls_to_the_last_digit(seed):
    rng = np.random.default_rng(seed)
    true = rng.uniform(0, 1, 300)
    pred = np.clip(true * 0.6 + rng.normal(0.2, 0.15, 300), 0, 1)
    ours = metrics.authors_metrics(
        pred.tolist(), true.tolist(), [level_for(v) for v in pred], [level_for(v) for v in true]
    )
    for key, value in _authors_way(pred.tolist(), true.tolist()).items():
        assert ours[key] == value, key  # exactly equal, not approximately


def test_logistic_fit_recovers_a_monotone_mapping():
    x = np.linspace(0.1, 0.9, 60)
    y = metrics.logistic_4(x, 0.95, 0.05, 0.5, 0.08)
    s = metrics.standard_metrics(x.tolist(), y.tolist())
    assert s["plcc_logistic"] == pytest.approx(1.0, abs=1e-6)
    assert s["plcc"] < 0.99  # the straight-line PLCC is lower on a curved relation


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    rng = np.random.default_rng(3)
    true = rng.uniform(0, 1, 80)
    pred = true + rng.normal(0, 0.2, 80)
    first = metrics.bootstrap_intervals(pred, true, resamples=300)
    assert first == metrics.bootstrap_intervals(pred, true, resamples=300)
    estimate = abs(stats.pearsonr(pred, true)[0])
    low, high = first["plcc"]
    assert low < estimate < high <= 1.0


def test_per_dimension_correlations_are_signed():
    keys = ("outfit", "looks")
    truth = [{"outfit": v, "looks": v} for v in (0.1, 0.4, 0.7, 0.9)]
    pred = [{"outfit": v, "looks": 1 - v} for v in (0.1, 0.4, 0.7, 0.9)]
    dims = metrics.dimension_correlations(pred, truth, keys)
    assert dims["outfit"]["plcc"] == pytest.approx(1.0)
    assert dims["looks"]["plcc"] == pytest.approx(-1.0) and dims["looks"]["n"] == 4
