"""What the user's ratings say they prefer, as one number per rated photo.

A reject is the lowest; stars order the rest; a pick without stars counts as a keeper (3 stars),
and a pick breaks a tie between equal stars. Photos with neither stars nor a flag are unrated and
say nothing.
"""

from __future__ import annotations

import numpy as np

from humanaes_desktop.library.records import Flag

REJECTED = 0.0
PICK_WITHOUT_STARS = 3.0
PICK_BONUS = 0.25


def preference_values(stars: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """One preference value per photo (NaN for unrated ones)."""
    stars = np.asarray(stars, dtype=float)
    flags = np.asarray(flags)
    values = np.where(stars > 0, stars, np.nan)
    picked = flags == Flag.PICKED.value
    values = np.where(picked & (stars > 0), stars + PICK_BONUS, values)
    values = np.where(picked & (stars == 0), PICK_WITHOUT_STARS, values)
    return np.where(flags == Flag.REJECTED.value, REJECTED, values)
