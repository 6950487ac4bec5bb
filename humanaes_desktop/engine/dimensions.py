"""The 12 aesthetic dimensions of HumanAesExpert, their groups and the five rating levels.

Order is the model's tensor order (MODEL_FACTS.md); keys are stable snake_case names used in
the database, the CLI's JSON and the UI. Never reorder: stored data and the model depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS: tuple[str, ...] = ("face", "appearance", "environment", "overall")
GROUP_TITLES: dict[str, str] = {
    "face": "Face",
    "appearance": "Appearance",
    "environment": "Environment",
    "overall": "Overall",
}


@dataclass(frozen=True)
class Dimension:
    index: int  # position in the model's 12-value output
    key: str  # stable identifier (DB column, JSON key)
    name: str  # the model's own name, as its expert text prints it
    group: str  # one of GROUPS
    parent: str | None  # key of the aggregate dimension this one feeds, if any


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(0, "facial_brightness", "Facial Brightness", "face", "facial_aesthetic"),
    Dimension(1, "facial_feature_clarity", "Facial Feature Clarity", "face", "facial_aesthetic"),
    Dimension(2, "facial_skin_tone", "Facial Skin Tone", "face", "facial_aesthetic"),
    Dimension(3, "facial_structure", "Facial Structure", "face", "facial_aesthetic"),
    Dimension(4, "facial_contour_clarity", "Facial Contour Clarity", "face", "facial_aesthetic"),
    Dimension(5, "facial_aesthetic", "Facial Aesthetic Score", "face", "comprehensive"),
    Dimension(6, "outfit", "Outfit", "appearance", "general_appearance"),
    Dimension(7, "body_shape", "Body Shape", "appearance", "general_appearance"),
    Dimension(8, "looks", "Looks", "appearance", "general_appearance"),
    Dimension(9, "environment", "Environment", "environment", "comprehensive"),
    Dimension(
        10,
        "general_appearance",
        "General Appearance Aesthetic Score",
        "appearance",
        "comprehensive",
    ),
    Dimension(11, "comprehensive", "Comprehensive Aesthetic Score", "overall", None),
)

DIMENSION_KEYS: tuple[str, ...] = tuple(d.key for d in DIMENSIONS)
BY_KEY: dict[str, Dimension] = {d.key: d for d in DIMENSIONS}
BY_NAME: dict[str, Dimension] = {d.name: d for d in DIMENSIONS}


def dimensions_in_group(group: str) -> tuple[Dimension, ...]:
    """The dimensions of one group, in tensor order."""
    if group not in GROUPS:
        raise ValueError(f"unknown dimension group {group!r}; expected one of {GROUPS}")
    return tuple(d for d in DIMENSIONS if d.group == group)


# The authors' thresholds (utils/judge_answer.py): value < 0.2 bad, < 0.4 poor, < 0.6 fair,
# < 0.8 good, otherwise excellent.
LEVELS: tuple[str, ...] = ("bad", "poor", "fair", "good", "excellent")
LEVEL_UPPER_BOUNDS: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)


def level_for(score: float) -> str:
    """The rating level of a score in [0, 1] by the authors' thresholds."""
    if score != score:  # NaN never silently becomes a level
        raise ValueError("score is NaN")
    for level, upper in zip(LEVELS, LEVEL_UPPER_BOUNDS, strict=False):  # last level has no bound
        if score < upper:
            return level
    return LEVELS[-1]


def level_index(level: str) -> int:
    """0 for bad … 4 for excellent."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}") from None
