"""Which passes the scoring worker runs with the model it has loaded: quick, full, or both.

The mode comes from the settings (or the command line); "auto" is settled only once the model is
loaded, because it depends on the device: quick first on a CPU, where a camera-size photo at the
full profile takes minutes, full only on a GPU, where it takes a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Protocol

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.tiling import tile_grid
from humanaes_desktop.engine.profiles import QUICK_MAX_TILES, ProfileMode, quick_profile
from humanaes_desktop.library.records import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoringPlan:
    """The profile that ends a job, and with "quick first" the quick pass that comes before."""

    mode: ProfileMode  # resolved: never AUTO
    final: PreprocessProfile
    quick: PreprocessProfile | None = None  # set only in QUICK_FIRST

    @classmethod
    def for_device(
        cls, mode: ProfileMode | str, full: PreprocessProfile, device: str
    ) -> ScoringPlan:
        """The plan for `mode` on `device`, with `full` as the full profile."""
        resolved = ProfileMode(mode).resolved(device, full)
        if resolved is ProfileMode.QUICK:
            return cls(resolved, quick_profile(full))
        if resolved is ProfileMode.QUICK_FIRST:
            return cls(resolved, full, quick_profile(full))
        return cls(resolved, full)

    @property
    def quick_key(self) -> str | None:
        """The quick profile's key for claiming, or None without a quick-first pass."""
        return self.quick.key if self.quick is not None else None

    @property
    def has_full_pass(self) -> bool:
        """True when photos end with a full score (quick first or full only, with more than
        one tile: a one-tile "full" profile is the quick one)."""
        return self.final.max_tiles > QUICK_MAX_TILES

    def profile_for(self, job: Job) -> PreprocessProfile:
        """The profile a claimed job is decoded and scored with."""
        if job.quick and self.quick is not None:
            return self.quick
        return self.final

    def settled(self, job: Job) -> Job:
        """The job as the worker runs it: a quick pass of a photo that the full profile feeds
        as one tile too (small or square photos) becomes its full pass, at the same cost.

        Only ever this way round: the full profile then makes the tiles, so the score it
        stores is a full one whatever the size recorded at the scan said."""
        if not job.quick or job.width is None or job.height is None:
            return job
        if tile_grid(job.width, job.height, self.final.max_tiles, self.final.input_size) != (1, 1):
            return job
        return dataclasses.replace(job, quick=False)


class _UpgradeQueue(Protocol):
    def queue_upgrades(self) -> int: ...


def settle_plan(
    store: _UpgradeQueue, mode: ProfileMode | str, full: PreprocessProfile, device: str
) -> ScoringPlan:
    """The plan for the model just loaded; with a full pass, photos that only have a quick
    score (from "quick only", say) are queued for their upgrade."""
    plan = ScoringPlan.for_device(mode, full, device)
    log.info("scoring plan: %s (full profile %s) on %s", plan.mode.value, full.key, device)
    if plan.has_full_pass:
        upgrades = store.queue_upgrades()
        if upgrades:
            log.info("%d photo(s) with only a quick score queued for their full pass", upgrades)
    return plan
