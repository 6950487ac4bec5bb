"""Quick and full scoring profiles, and the modes that combine them.

*Full* is the reference code's tiling: up to `max_tiles` 448-px tiles (12 by default) plus a
thumbnail, 13 tiles for a 4:3 camera photo. *Quick* feeds the whole photo as one 448-px tile:
about a tenth of the work at camera size, a coarser look at the same picture. With *quick first*
every photo gets a quick score soon and its full score later; a 1-tile score is never called full.
"""

from __future__ import annotations

import dataclasses
from enum import Enum

from humanaes_desktop.engine.assessment import PreprocessProfile

QUICK_MAX_TILES = 1


class ProfileKind(str, Enum):
    """What one stored score is: the quick look or the full tiling."""

    QUICK = "quick"
    FULL = "full"

    @classmethod
    def of(cls, max_tiles: int) -> ProfileKind:
        """The kind of a score made with `max_tiles`."""
        return cls.QUICK if max_tiles <= QUICK_MAX_TILES else cls.FULL


class ProfileMode(str, Enum):
    """Which passes the scoring worker runs over the queue."""

    AUTO = "auto"  # quick first on a CPU, full only on a GPU (where full is cheap)
    QUICK_FIRST = "quick_first"  # every photo quick, then upgrades to full, best first
    FULL = "full"  # full only
    QUICK = "quick"  # quick only

    def resolved(self, device: str, full: PreprocessProfile) -> ProfileMode:
        """The concrete mode on `device`; a full profile of one tile is the quick one, so it
        leaves nothing to upgrade (FULL)."""
        mode = self
        if mode is ProfileMode.AUTO:
            mode = ProfileMode.QUICK_FIRST if device == "cpu" else ProfileMode.FULL
        if mode is ProfileMode.QUICK_FIRST and full.max_tiles <= QUICK_MAX_TILES:
            return ProfileMode.FULL
        return mode


PROFILE_MODES: tuple[str, ...] = tuple(m.value for m in ProfileMode)


def quick_profile(full: PreprocessProfile) -> PreprocessProfile:
    """The quick profile that goes with `full`: the same decoding, one tile."""
    return dataclasses.replace(full, max_tiles=QUICK_MAX_TILES)
