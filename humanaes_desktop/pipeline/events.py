"""Plain-data events the scoring worker reports. The UI's Qt bridge turns them into signals.

Events are delivered by calling the listener from the worker's own thread; a listener must not
block and must not touch widgets (the Qt bridge re-emits them as queued signals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class WorkerState(str, Enum):
    IDLE = "idle"  # queue empty, model loaded
    LOADING_MODEL = "loading model"
    SCORING = "scoring"
    PAUSED = "paused"
    WAITING_FOR_MODEL = "waiting for model"  # no usable model; the queue waits
    STOPPED = "stopped"


@dataclass(frozen=True)
class ProgressChanged:
    state: WorkerState
    done: int  # images finished (scored or failed) since the worker started
    remaining: int  # jobs still queued
    images_per_s: float | None
    eta_s: float | None
    current_path: str | None
    device: str | None
    model_label: str | None  # e.g. "HumanAesExpert-1B" or "synthetic/tiny (SYNTHETIC)"
    synthetic: bool
    message: str | None = None  # why the worker waits, for example


@dataclass(frozen=True)
class AssessmentStored:
    image_id: int
    overall: float
    level: str
    path: str | None = None  # the image file, for logs and the headless progress lines
    synthetic: bool = False  # scored by a synthetic (random-weight) model: the score means nothing


@dataclass(frozen=True)
class ImageFailed:
    image_id: int
    reason: str
    permanent: bool
    path: str | None = None  # the image file, for logs and the headless progress lines


WorkerEvent = ProgressChanged | AssessmentStored | ImageFailed
EventListener = Callable[[WorkerEvent], None]
