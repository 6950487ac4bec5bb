"""Progress lines for the headless `humanaes watch`: the worker's events as short text lines."""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from humanaes_desktop.engine.profiles import ProfileKind, ProfileMode
from humanaes_desktop.pipeline.events import (
    AssessmentStored,
    ImageFailed,
    ProgressChanged,
    WorkerEvent,
    WorkerState,
)
from humanaes_desktop.wording import format_duration, format_eta


def format_progress(event: ProgressChanged) -> str:
    """One line saying what the worker does, how far it is and with which model."""
    parts = [event.state.value]
    if event.state in (WorkerState.SCORING, WorkerState.IDLE, WorkerState.STOPPED):
        parts.append(_counts(event))
    if event.images_per_s is not None and event.state == WorkerState.SCORING:
        parts.append(f"{event.images_per_s:.2f} images/s")
    if event.in_quick_pass and event.quick_eta_s is not None:
        parts.append(f"quick scores in {format_duration(event.quick_eta_s, compact=True)}")
    if event.eta_s is not None and event.remaining:
        parts.append(format_eta(event.eta_s, compact=True))
    if event.current_path:
        kind = " (quick)" if event.current_quick else ""
        parts.append(os.path.basename(event.current_path) + kind)
    line = " · ".join(parts)
    if event.model_label:
        line += f"  [{event.model_label} on {event.device}]"
    if event.message:
        line += f": {event.message}"
    return line


def _counts(event: ProgressChanged) -> str:
    if event.in_quick_pass:
        return (
            f"quick pass {event.first_scores_done} done, {event.quick_remaining} left; "
            f"{event.remaining} full score(s) to follow"
        )
    upgrading = event.profile_mode is ProfileMode.QUICK_FIRST and event.quick_done
    if upgrading and event.state == WorkerState.SCORING:
        return f"full pass {event.remaining} left, {event.done} photo(s) finished"
    return f"{event.done} done, {event.remaining} left"


def _stored_kind(event: AssessmentStored) -> str:
    if event.full_follows:
        return " (quick; full score to follow)"
    return " (quick)" if event.profile_kind is ProfileKind.QUICK else ""


class ConsoleReporter:
    """A worker listener that prints progress and failures; quiet on repeats of the same line."""

    def __init__(self, stream: TextIO | None = None, verbose_scores: bool = True) -> None:
        self._stream = stream or sys.stderr
        self._verbose_scores = verbose_scores
        self._lock = threading.Lock()
        self._last_line: str | None = None

    def __call__(self, event: WorkerEvent) -> None:
        if isinstance(event, ProgressChanged):
            self._print(format_progress(event))
        elif isinstance(event, AssessmentStored) and self._verbose_scores:
            name = os.path.basename(event.path or f"image {event.image_id}")
            synthetic = " (SYNTHETIC model: meaningless)" if event.synthetic else ""
            kind = _stored_kind(event)
            self._print(f"scored {name}: {event.overall:.3f} {event.level}{kind}{synthetic}")
        elif isinstance(event, ImageFailed):
            name = event.path or f"image {event.image_id}"
            kind = "failed" if event.permanent else "will retry"
            self._print(f"{kind} {name}: {event.reason}")

    def _print(self, line: str) -> None:
        with self._lock:
            if line == self._last_line:
                return
            self._last_line = line
            print(f"humanaes: {line}", file=self._stream, flush=True)
