"""Learning a taste from rated photos, and deciding whether it earns its place.

The model is pairwise logistic regression (scikit-learn, L2-regularised, no intercept) on the
differences of standardised features between two photos the user rated differently: the fitted
weights define a linear utility whose order is the learnt ranking. It is judged by 5-fold
cross-validation over photos: on each held-out fold, the learnt utility and the plain MetaVoter
score are compared with the user's ratings (Spearman correlation, and the share of pairs with
different ratings put in the right order). It is offered only when it clearly wins: better than
the MetaVoter order by a margin, and a held-out ranking that chance would rarely give.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from humanaes_desktop.library.taste_store import TASTE_FEATURES
from humanaes_desktop.taste.model import Evaluation, TasteModel

MIN_RATED = 30  # below this, held-out folds are too small to tell skill from luck
FOLDS = 5
REGULARISATION_C = 0.5  # inverse L2 strength on standardised features
MAX_PAIRS = 40_000  # pairs drawn per fit; all pairs of up to ~280 photos
MIN_GAIN = 0.03  # pairwise accuracy the taste must add to the MetaVoter order
MAX_P_VALUE = 0.01  # and its held-out ranking must be far beyond what luck gives
SEED = 0
BASELINE = TASTE_FEATURES.index("overall")


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)


def _pairs(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of photos with different preference values."""
    n = len(values)
    if n * (n - 1) // 2 <= MAX_PAIRS:
        i, j = np.triu_indices(n, k=1)
    else:
        i, j = rng.integers(0, n, MAX_PAIRS), rng.integers(0, n, MAX_PAIRS)
    keep = values[i] != values[j]
    return i[keep], j[keep]


def fit_weights(x: np.ndarray, values: np.ndarray, seed: int = SEED):
    """(weights, mean, scale) of the pairwise model, or None when the ratings order nothing."""
    mean, scale = _standardise(x)
    z = (x - mean) / scale
    i, j = _pairs(values, np.random.default_rng(seed))
    if len(i) == 0:
        return None
    diff = z[i] - z[j]
    better = values[i] > values[j]
    # Both orientations of every pair: the problem stays symmetric without an intercept.
    model = LogisticRegression(C=REGULARISATION_C, fit_intercept=False, max_iter=2000)
    model.fit(np.vstack([diff, -diff]), np.concatenate([better, ~better]))
    return model.coef_[0], mean, scale


def pairwise_accuracy(utility: np.ndarray, values: np.ndarray) -> float:
    """Share of pairs with different ratings that the utility orders the same way (ties: half)."""
    i, j = np.triu_indices(len(values), k=1)
    keep = values[i] != values[j]
    if not keep.any():
        return math.nan
    agree = np.sign(utility[i] - utility[j]) * np.sign(values[i] - values[j])
    return float(np.mean((agree[keep] + 1) / 2))


def _srcc(utility: np.ndarray, values: np.ndarray) -> float:
    if np.ptp(utility) == 0 or np.ptp(values) == 0:
        return 0.0
    return float(stats.spearmanr(utility, values)[0])


def cross_validate(x: np.ndarray, values: np.ndarray) -> Evaluation:
    """Held-out agreement of the learnt taste and of the MetaVoter score with the ratings.

    The means are over folds (weighted by their size); `p_value` is the one-sided chance of the
    pooled held-out predictions ranking the ratings this well by luck alone (Spearman), which is
    what keeps a taste learnt from random ratings from being offered.
    """
    taste_s, taste_p, base_s, base_p, weights = [], [], [], [], []
    held_out = np.full(len(values), np.nan)
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(x):
        fitted = fit_weights(x[train], values[train])
        if fitted is None:
            continue
        w, mean, scale = fitted
        utility = ((x[test] - mean) / scale) @ w
        held_out[test] = utility
        if len(np.unique(values[test])) < 2:
            continue
        baseline = x[test][:, BASELINE]
        taste_s.append(_srcc(utility, values[test]))
        taste_p.append(pairwise_accuracy(utility, values[test]))
        base_s.append(_srcc(baseline, values[test]))
        base_p.append(pairwise_accuracy(baseline, values[test]))
        weights.append(len(test))
    if not weights:
        return Evaluation(0, math.nan, math.nan, math.nan, math.nan, 1.0)
    mean = lambda v: float(np.average(v, weights=weights))  # noqa: E731
    known = ~np.isnan(held_out)
    p_value = float(stats.spearmanr(held_out[known], values[known], alternative="greater")[1])
    return Evaluation(
        len(weights), mean(taste_s), mean(taste_p), mean(base_s), mean(base_p),
        p_value if math.isfinite(p_value) else 1.0,
    )  # fmt: skip


def learn_taste(x: np.ndarray, values: np.ndarray, library_features: np.ndarray) -> TasteModel:
    """Fit on every rated photo, judge by cross-validation, and say why it is (not) offered.

    `library_features` (every scored photo) only sets the typical utility the score is relative to.
    """
    rated = len(values)
    if rated < MIN_RATED:
        return TasteModel(rated, False, f"Rate at least {MIN_RATED} scored photos to learn your "
                          f"taste (so far: {rated}).")  # fmt: skip
    if len(np.unique(values)) < 2:
        return TasteModel(rated, False, "Your ratings are all the same, so they order nothing; "
                          "use different stars, picks or rejects.")  # fmt: skip
    evaluation = cross_validate(x, values)
    fitted = fit_weights(x, values)
    assert fitted is not None  # at least two distinct values
    w, mean, scale = fitted
    offered, reason = _verdict(rated, evaluation)
    pool = library_features if len(library_features) else x
    typical = float(np.mean(((pool - mean) / scale) @ w))
    return TasteModel(
        rated, offered, reason, tuple(map(float, w)), tuple(map(float, mean)),
        tuple(map(float, scale)), typical, evaluation,
    )  # fmt: skip


def _verdict(rated: int, e: Evaluation) -> tuple[bool, str]:
    numbers = (
        f"on your held-out ratings it orders {e.taste_pairwise:.0%} of pairs right against "
        f"{e.baseline_pairwise:.0%} for the MetaVoter score (SRCC {e.taste_srcc:.2f} vs "
        f"{e.baseline_srcc:.2f})"
    )
    if not (math.isfinite(e.taste_pairwise) and math.isfinite(e.baseline_pairwise)):
        return False, f"Learnt from {rated} photos, but too few held-out ratings to judge it."
    gain = e.taste_pairwise - e.baseline_pairwise
    if gain >= MIN_GAIN and e.p_value <= MAX_P_VALUE:
        return True, f"Learnt from {rated} rated photos: {numbers}."
    if gain >= MIN_GAIN:
        return False, f"Not clearly better than chance yet (rate more photos): {numbers}."
    return False, f"Not better than the MetaVoter order yet: {numbers}."
