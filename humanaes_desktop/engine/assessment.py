"""Plain, frozen result types of the engine. They cross threads and layers freely."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, level_for


@dataclass(frozen=True)
class ModelIdentity:
    """Which model produced a score. Stored with every assessment."""

    repo: str  # e.g. "KlingTeam/HumanAesExpert-1B", or "synthetic/tiny"
    revision: str  # commit hash of the model repository, or "local"
    weights_sha256: str  # hash of the weights file as verified or recorded
    synthetic: bool  # True: random weights, the scores mean nothing

    @property
    def key(self) -> str:
        """One string that tells two models apart (used for queue/assessment uniqueness)."""
        return f"{self.repo}@{self.revision}#{self.weights_sha256[:16]}"


@dataclass(frozen=True)
class PreprocessProfile:
    """How pixels were produced. Two profiles never mix silently; each result records its own."""

    max_tiles: int = 12
    input_size: int = 448
    decode: str = (
        "exact"  # "exact" (full decode, as the reference code) or "fast" (JPEG draft mode)
    )

    @property
    def key(self) -> str:
        return f"tiles={self.max_tiles};size={self.input_size};decode={self.decode}"


@dataclass(frozen=True)
class Assessment:
    """Everything the model says about one image, plus how it was produced."""

    overall: float  # MetaVoter score, the official final score, in [0, 1]
    fast_score: float  # the reference code's score(): one pass, LM head
    dimensions: dict[str, float]  # all 12, keyed by DIMENSION_KEYS
    expert_text: str  # the expert head's own text form
    annotation: str | None  # LM-head annotation text, when asked for
    model: ModelIdentity
    profile: PreprocessProfile
    device: str
    dtype: str
    tiles: int  # number of 448-px tiles actually fed (including the thumbnail tile)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    # What computed attention: "sdpa", "eager", "flash-attn", one per part ("vision sdpa,
    # language eager"), or "" when not recorded (assessments stored before it was).
    attention: str = ""
    # Culling hook: <= 512 bytes pooled from the vision features this assessment computed
    # (engine/culling/embedding.py); None when the engine could not see them.
    embedding: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        missing = set(DIMENSION_KEYS) - set(self.dimensions)
        if missing:
            raise ValueError(f"assessment lacks dimensions: {sorted(missing)}")

    @property
    def level(self) -> str:
        return level_for(self.overall)

    @property
    def synthetic(self) -> bool:
        return self.model.synthetic

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's JSON shape (without the path, which the caller adds)."""
        return {
            "overall": self.overall,
            "level": self.level,
            "fast_score": self.fast_score,
            "dimensions": {k: self.dimensions[k] for k in DIMENSION_KEYS},
            "expert_text": self.expert_text,
            "annotation": self.annotation,
            "timings": dict(self.timings),
            "model": {
                "repo": self.model.repo,
                "revision": self.model.revision,
                "synthetic": self.model.synthetic,
            },
            "synthetic": self.model.synthetic,
            "profile": asdict(self.profile),
            "tiles": self.tiles,
            "device": self.device,
            "dtype": self.dtype,
            "attention": self.attention,
        }
