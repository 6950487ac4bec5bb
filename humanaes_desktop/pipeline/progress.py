"""Turning the worker's situation into ProgressChanged events, and delivering events safely."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from humanaes_desktop.engine.profiles import ProfileMode
from humanaes_desktop.library.records import QueueCounts
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

    Quick passes and final passes are timed apart: with "quick first" they differ about tenfold,
    so one rate would make both ETAs wrong. Progress events are throttled (a fast model would
    otherwise flood the GUI); a change of state or message is always reported at once. A failing
    listener is logged, never raised: it must not stop the scoring.
    """

    def __init__(
        self,
        listener: EventListener | None,
        count_queue: Callable[[], QueueCounts],
        interval_s: float = 0.25,
    ) -> None:
        self._listener = listener
        self._count_queue = count_queue
        self._interval_s = interval_s
        # On a CPU a full pass can take minutes: a long time window, a short count window.
        self._meters = {
            quick: ThroughputMeter(window_s=3600, max_samples=20) for quick in (False, True)
        }
        self.done = 0  # images finished (scored or failed for good) since the worker started
        self.quick_done = 0  # quick passes stored since the worker started
        self.mode: ProfileMode | None = None  # of the plan in use (set by the worker)
        self.state: WorkerState | None = None  # the state last reported
        self._message: str | None = None
        self._last_emit = 0.0
        self._current_quick = False

    def image_finished(
        self, *, scored: bool, quick: bool = False, started_at: float | None = None
    ) -> None:
        """Count one finished pass; only scored ones feed the rate of their kind of pass."""
        if quick:
            self.quick_done += 1
        else:
            self.done += 1
        if scored:
            self._meters[quick].record(started_at=started_at)

    def reset_rates(self) -> None:
        """Forget measured rates (after a pause, a model change or an idle spell)."""
        for meter in self._meters.values():
            meter.reset()

    def progress(
        self,
        state: WorkerState,
        engine: Engine | None,
        *,
        current_path: str | None = None,
        current_quick: bool = False,
        message: str | None = None,
    ) -> None:
        """Report where the worker stands, unless the same state was reported just now."""
        now = time.monotonic()
        scoring = state == WorkerState.SCORING
        changed = state != self.state or message != self._message
        changed = changed or (scoring and current_quick != self._current_quick)  # a new pass
        if not changed and now - self._last_emit < self._interval_s:
            return
        self.state, self._message, self._last_emit = state, message, now
        if scoring:
            self._current_quick = current_quick
        elif state == WorkerState.IDLE:
            self.reset_rates()  # the next burst is timed afresh (its first image gives a rate)
        counts = self._count_queue()
        remaining = counts.queued + counts.running
        quick_left = counts.quick_pending if self.mode is ProfileMode.QUICK_FIRST else 0
        quick_eta = self._meters[True].eta_s(quick_left, now)
        final_eta = self._meters[False].eta_s(remaining, now)
        identity = engine.identity if engine is not None else None
        self.emit(
            ProgressChanged(
                state=state,
                done=self.done,
                remaining=remaining,
                images_per_s=self._meters[self._current_quick].images_per_s(now),
                eta_s=_sum_known(quick_eta, final_eta) if scoring else None,
                current_path=current_path,
                device=engine.device if engine is not None else None,
                model_label=model_label(engine),
                synthetic=bool(identity and identity.synthetic),
                message=message,
                profile_mode=self.mode,
                quick_done=self.quick_done,
                quick_remaining=quick_left,
                quick_eta_s=quick_eta if scoring and quick_left else None,
                current_quick=scoring and current_quick,
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


def _sum_known(*parts: float | None) -> float | None:
    """The sum, or None when any part is unknown."""
    known = [part for part in parts if part is not None]
    return sum(known) if len(known) == len(parts) else None
