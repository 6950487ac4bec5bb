"""Texts the user reads in more than one place, formatted once: durations, ratings, and what to
say when there is no model. Plain strings only (no Qt), so the window, the terminal progress
lines and the command line all say the same thing the same way.
"""

from __future__ import annotations

from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.records import Flag, Rating

# -- durations ------------------------------------------------------------------------------


def format_duration(seconds: float, *, compact: bool = False) -> str:
    """A duration for people: "1 h 05 min", "3 min 20 s", "12 s".

    `compact` is for terminal progress lines: "2h07m", "3m05s", "45s".
    """
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if compact:
        if hours:
            return f"{hours}h{minutes:02d}m"
        return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def format_eta(seconds: float | None, *, compact: bool = False) -> str:
    """ "ETA 3 min 20 s" (or "ETA 3m20s" compact); "" when the time left is unknown."""
    if seconds is None or seconds != seconds or seconds < 0:  # None, NaN or nonsense
        return ""
    return f"ETA {format_duration(seconds, compact=compact)}"


# -- ratings --------------------------------------------------------------------------------

MAX_STARS = 5
FLAG_TEXT = {Flag.PICKED: "Picked", Flag.REJECTED: "Rejected", Flag.NONE: ""}


def stars_text(stars: int, *, blank_if_unrated: bool = False) -> str:
    """Five-star text such as "★★★☆☆"; "☆☆☆☆☆" for none, or "" with `blank_if_unrated`."""
    if not stars and blank_if_unrated:
        return ""
    return "★" * stars + "☆" * (MAX_STARS - stars)


def flag_text(flag: Flag) -> str:
    """ "Picked", "Rejected", or "" for an unflagged photo."""
    return FLAG_TEXT.get(flag, "")


def color_label_text(color: str) -> str:
    """ "Green label" for a colour label's name; "" for none."""
    return f"{color.capitalize()} label" if color else ""


def rating_text(rating: Rating) -> str:
    """Stars, flag and colour label as one line, e.g. '★★★☆☆  ·  Picked  ·  ● Green'."""
    parts = [stars_text(rating.stars)]
    if rating.flag != Flag.NONE:
        parts.append(flag_text(rating.flag))
    if rating.color:
        parts.append(f"● {rating.color.capitalize()}")
    return "  ·  ".join(parts)


# -- quick and full scores ------------------------------------------------------------------


def describe_score(max_tiles: int) -> str:
    """How a score was made: "quick score (the whole photo as one tile)" or "full score (up to
    12 tiles)". A one-tile score is never called full."""
    if ProfileKind.of(max_tiles) is ProfileKind.QUICK:
        return "quick score (the whole photo as one tile)"
    return f"full score (up to {max_tiles} tiles)"


# -- no model -------------------------------------------------------------------------------

NO_MODEL_LABEL = "no model"  # where the model's name would be
GET_MODEL_IN_APP = "open Settings → Model to download it or choose a folder"
GET_MODEL_IN_TERMINAL = (
    "download HumanAesExpert-1B with `humanaes model download`, "
    "or pass --model DIR with a model folder"
)
NO_MODEL_INSTALLED = f"no model installed — {GET_MODEL_IN_TERMINAL}"
NO_MODEL_STATUS = f"No model — {GET_MODEL_IN_APP}"
WAITING_FOR_MODEL_STATUS = f"Waiting for a model — {GET_MODEL_IN_APP}"
NO_MODEL_NOTICE = (
    "No scoring model is installed, so new photos are not scored. You can still browse, sort "
    f"and cull; to score photos, {GET_MODEL_IN_APP}."
)
NO_MODEL_SET_UP = "No model is set up yet. Photos can be browsed but not scored."
