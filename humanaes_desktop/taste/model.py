"""A learnt taste: a linear utility over a photo's scores, and what it says about the user.

In the pairwise logistic model the chance that the user prefers photo a to photo b is
sigmoid(u(a) - u(b)), so the taste score shown for a photo, sigmoid(u - mean u over the library),
reads as "the chance you would prefer it to a typical photo of your library".
Because the MetaVoter score is one of the inputs, the weights the dimensions get on top of it say
what this user values more (positive) or less (negative) than the average rater the model learnt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from humanaes_desktop.engine.dimensions import BY_KEY, DIMENSION_KEYS
from humanaes_desktop.library.taste_store import TASTE_FEATURES

DOCUMENT_VERSION = 1
# A dimension is named in the explanation when it carries at least this share of all weight.
NOTABLE_SHARE = 0.08


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated agreement with the user's held-out ratings, learnt taste vs MetaVoter."""

    folds: int
    taste_srcc: float
    taste_pairwise: float  # share of held-out pairs (different ratings) ordered right
    baseline_srcc: float
    baseline_pairwise: float
    p_value: float = 1.0  # one-sided: held-out predictions this good by luck alone


@dataclass(frozen=True)
class TasteModel:
    rated: int  # photos it learnt from
    offered: bool  # earned its place as a sort option
    reason: str  # one sentence: why it is offered, or why not
    weights: tuple[float, ...] = ()  # per standardised feature (TASTE_FEATURES order)
    mean: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()
    mean_utility: float = 0.0
    evaluation: Evaluation | None = None
    features: tuple[str, ...] = field(default=TASTE_FEATURES)

    @property
    def fitted(self) -> bool:
        return bool(self.weights)

    def utility(self, features: np.ndarray) -> np.ndarray:
        """The learnt utility of each row of features (higher: preferred)."""
        z = (np.asarray(features, dtype=float) - np.array(self.mean)) / np.array(self.scale)
        return z @ np.array(self.weights)

    def score(self, features: np.ndarray) -> np.ndarray:
        """Chance the user prefers each photo to a typical photo of the library, in [0, 1]."""
        return 1.0 / (1.0 + np.exp(-(self.utility(features) - self.mean_utility)))

    def column_weights(self) -> dict[str, float]:
        """Weights on the raw columns (same order as the utility, up to a constant), for SQL."""
        return {
            name: w / s for name, w, s in zip(self.features, self.weights, self.scale, strict=True)
        }

    def dimension_emphasis(self) -> dict[str, float]:
        """Each dimension's share of the total weight, signed (what the user values beyond the
        MetaVoter score: positive more, negative less)."""
        total = sum(abs(w) for w in self.weights) or 1.0
        by_name = dict(zip(self.features, self.weights, strict=True))
        return {key: by_name[key] / total for key in DIMENSION_KEYS}

    def explanation(self) -> str:
        """One sentence a user reads, e.g. "You value Environment and Outfit more than the
        average rater, and Body Shape less"."""
        if not self.fitted:
            return self.reason
        emphasis = sorted(self.dimension_emphasis().items(), key=lambda kv: -abs(kv[1]))
        more = [BY_KEY[k].name for k, v in emphasis if v >= NOTABLE_SHARE][:2]
        less = [BY_KEY[k].name for k, v in emphasis if v <= -NOTABLE_SHARE][:2]
        if not more and not less:
            return "Your ratings follow the overall score closely; no dimension stands out."
        if more:
            text = f"You value {' and '.join(more)} more than the average rater"
            return text + (f", and {' and '.join(less)} less." if less else ".")
        return f"You value {' and '.join(less)} less than the average rater."

    def to_document(self) -> dict[str, Any]:
        evaluation = self.evaluation
        return {
            "version": DOCUMENT_VERSION,
            "rated": self.rated,
            "offered": self.offered,
            "reason": self.reason,
            "features": list(self.features),
            "weights": list(self.weights),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "mean_utility": self.mean_utility,
            "evaluation": None if evaluation is None else evaluation.__dict__.copy(),
            "column_weights": self.column_weights() if self.fitted else {},
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> TasteModel | None:
        """The model a stored document describes; None for one this version cannot use (an
        older feature set, a future format): it is then fitted again."""
        if doc.get("version") != DOCUMENT_VERSION or tuple(doc["features"]) != TASTE_FEATURES:
            return None
        evaluation = doc.get("evaluation")
        return cls(
            rated=doc["rated"],
            offered=doc["offered"],
            reason=doc["reason"],
            weights=tuple(doc["weights"]),
            mean=tuple(doc["mean"]),
            scale=tuple(doc["scale"]),
            mean_utility=doc["mean_utility"],
            evaluation=None if evaluation is None else Evaluation(**evaluation),
        )
