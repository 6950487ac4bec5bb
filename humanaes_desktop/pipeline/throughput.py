"""Images per second over a sliding window, and the ETA that follows from it."""

from __future__ import annotations

import time
from collections import deque


class ThroughputMeter:
    """Rate of recent completions; old ones fall out so the figure follows speed changes.

    Both a time window and a count window apply: the time window keeps the rate honest after a
    pause, the count window keeps it responsive when images are fast.
    """

    def __init__(self, window_s: float = 60.0, max_samples: int = 50) -> None:
        self._window_s = window_s
        self._stamps: deque[float] = deque(maxlen=max_samples)

    def record(self, now: float | None = None, *, started_at: float | None = None) -> None:
        """Note one finished image. `started_at`, when it began, gives the first image of an
        empty meter a rate of its own (on a CPU the next completion may be minutes away)."""
        if not self._stamps and started_at is not None:
            self._stamps.append(started_at)
        self._stamps.append(time.monotonic() if now is None else now)

    def reset(self) -> None:
        """Forget history (after a pause or a model change the old rate says nothing)."""
        self._stamps.clear()

    def images_per_s(self, now: float | None = None) -> float | None:
        """Recent rate, or None until two completions fall inside the window."""
        now = time.monotonic() if now is None else now
        while self._stamps and now - self._stamps[0] > self._window_s:
            self._stamps.popleft()
        if len(self._stamps) < 2:
            return None
        span = self._stamps[-1] - self._stamps[0]
        if span <= 0:
            return None
        return (len(self._stamps) - 1) / span

    def eta_s(self, remaining: int, now: float | None = None) -> float | None:
        """Seconds until `remaining` images are done at the recent rate, if a rate is known."""
        if remaining <= 0:
            return 0.0
        rate = self.images_per_s(now)
        return None if rate is None else remaining / rate
