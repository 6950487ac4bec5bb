"""Turning the worker's situation into ProgressChanged events, and delivering events safely."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from humanaes_desktop.pipeline.contracts import Engine
from humanaes_desktop.pipeline.events import (
    EventListener,
    ProgressChanged,
    WorkerEvent,
    WorkerState,
)
from humanaes_desktop.pipeline.throughput import ThroughputMeter

log = logging.getLogger(__name__)


def model_label(engine: Engine | None) -> str | None:
    """The model's short name; a synthetic model always says "(SYNTHETIC)"."""
    if engine is None:
        return None
    label = getattr(engine, "label", None)  # the adapter's own short name, when it has one
    if label is None:
        label = engine.identity.repo
    if engine.identity.synthetic and "(SYNTHETIC)" not in label:
        label += " (SYNTHETIC)"
    return label


@dataclass(frozen=True)
class WorkerStats:
    """Where the worker's time went since it started (for benchmarks and diagnostics)."""

    scored: int = 0
    failed: int = 0  # permanent failures
    retried: int = 0  # transient failures sent back to the queue
    assess_s: float = 0.0  # time inside engine.assess (incl. OOM retries)
    decode_s: float = 0.0  # decode time spent on the pool (overlaps assess when prefetch works)
    decode_wait_s: float = 0.0  # time the model thread sat waiting for a decode

    def added(self, **deltas: float) -> WorkerStats:
        """These totals plus `deltas` (field name -> amount)."""
        return dataclasses.replace(
            self, **{name: getattr(self, name) + value for name, value in deltas.items()}
        )


class ProgressReporter:
    """Counts finished images, measures the rate and reports progress to one listener.

    Progress events are throttled (a fast model would otherwise flood the GUI); a change of
    state or message is always reported at once. A failing listener is logged, never raised:
    it must not stop the scoring.
    """

    def __init__(
        self,
        listener: EventListener | None,
        count_remaining: Callable[[], int],
        interval_s: float = 0.25,
    ) -> None:
        self._listener = listener
        self._count_remaining = count_remaining
        self._interval_s = interval_s
        self.meter = ThroughputMeter()
        self.done = 0  # images finished (scored or failed for good) since the worker started
        self.state: WorkerState | None = None  # the state last reported
        self._message: str | None = None
        self._last_emit = 0.0

    def image_finished(self, *, scored: bool) -> None:
        """Count one image; only scored ones feed the images/s rate."""
        self.done += 1
        if scored:
            self.meter.record()

    def progress(
        self,
        state: WorkerState,
        engine: Engine | None,
        *,
        current_path: str | None = None,
        message: str | None = None,
    ) -> None:
        """Report where the worker stands, unless the same state was reported just now."""
        now = time.monotonic()
        changed = state != self.state or message != self._message
        if not changed and now - self._last_emit < self._interval_s:
            return
        self.state, self._message, self._last_emit = state, message, now
        remaining = self._count_remaining()
        identity = engine.identity if engine is not None else None
        scoring = state == WorkerState.SCORING
        self.emit(
            ProgressChanged(
                state=state,
                done=self.done,
                remaining=remaining,
                images_per_s=self.meter.images_per_s(now),
                eta_s=self.meter.eta_s(remaining, now) if scoring else None,
                current_path=current_path,
                device=engine.device if engine is not None else None,
                model_label=model_label(engine),
                synthetic=bool(identity and identity.synthetic),
                message=message,
            )
        )

    def emit(self, event: WorkerEvent) -> None:
        """Deliver one event; a listener's exception is logged and swallowed only here."""
        if self._listener is None:
            return
        try:
            self._listener(event)
        except Exception:
            log.exception("a worker event listener failed on %r", event)
