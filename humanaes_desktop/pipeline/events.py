"""Plain-data events the scoring worker reports. The UI's Qt bridge turns them into signals.

Events are delivered by calling the listener from the worker's own thread; a listener must not
block and must not touch widgets (the Qt bridge re-emits them as queued signals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from humanaes_desktop.engine.profiles import ProfileKind, ProfileMode


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
    remaining: int  # jobs still queued or running (each still owes its final score)
    images_per_s: float | None  # of the pass the worker is in (quick or final)
    eta_s: float | None  # until the queue is empty, both passes included
    current_path: str | None
    device: str | None
    model_label: str | None  # e.g. "HumanAesExpert-1B" or "synthetic/tiny (SYNTHETIC)"
    synthetic: bool
    message: str | None = None  # why the worker waits, for example
    # "Quick first": the first pass gives every photo a quick score, the second its full one.
    profile_mode: ProfileMode | None = None  # resolved once a model is loaded
    quick_done: int = 0  # quick passes stored since the worker started
    quick_remaining: int = 0  # quick passes still to run (0 outside quick first)
    quick_eta_s: float | None = None  # until every queued photo has its quick score
    current_quick: bool = False  # the photo in the model gets its quick pass

    @property
    def first_scores_done(self) -> int:
        """Photos with at least a first score (a quick one, or a final one straight away, or
        failed for good) since the worker started: the quick pass's progress."""
        return self.quick_done + self.done

    @property
    def in_quick_pass(self) -> bool:
        """True while photos still wait for their quick score."""
        return self.profile_mode is ProfileMode.QUICK_FIRST and self.quick_remaining > 0


@dataclass(frozen=True)
class AssessmentStored:
    image_id: int
    overall: float
    level: str
    path: str | None = None  # the image file, for logs and the headless progress lines
    synthetic: bool = False  # scored by a synthetic (random-weight) model: the score means nothing
    profile_kind: ProfileKind = ProfileKind.FULL  # of the score just stored
    full_follows: bool = False  # a quick pass of "quick first": the full pass is still to come


@dataclass(frozen=True)
class ImageFailed:
    image_id: int
    reason: str
    permanent: bool
    path: str | None = None  # the image file, for logs and the headless progress lines


WorkerEvent = ProgressChanged | AssessmentStored | ImageFailed
EventListener = Callable[[WorkerEvent], None]
