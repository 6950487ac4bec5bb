"""Small, honest stand-ins for the job store, the engine and the image loader.

They implement the contracts' semantics (priority order, claim/release, transient retry) in
memory, so the worker's threading can be tested in milliseconds. The tests in
tests/pipeline/test_worker_library.py and test_worker_model.py run the same worker against the
real Library, model and photos.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from humanaes_desktop.engine.assessment import Assessment, PreprocessProfile
from humanaes_desktop.library.records import Job, QueueCounts
from tests.support.assessments import SYNTHETIC_MODEL, make_assessment


class MemoryStore:
    """An in-memory JobStore: priority order, running/queued states, every call recorded."""

    def __init__(self, max_attempts: int = 3, backoff_s: float = 0.3) -> None:
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        self.queued: dict[int, Job] = {}
        self.running: dict[int, Job] = {}
        self.stored: dict[int, Assessment] = {}  # job id -> assessment
        self.failed: dict[int, str] = {}  # job id -> reason
        self.claims: list[list[int]] = []  # job ids per claim call
        self.released: list[int] = []
        self.store_order: list[int] = []  # image ids in the order they were stored
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.not_before: dict[int, float] = {}  # job id -> monotonic time of its next retry
        self._next_id = 1

    def add(self, path: str, *, priority: int = 0, annotate: bool = False) -> Job:
        with self._lock:
            job = Job(self._next_id, self._next_id, path, priority, annotate, 0)
            self._next_id += 1
            self.queued[job.id] = job
            return job

    def claim_jobs(
        self, limit: int, model_key: str, profile_key: str, quick_profile_key: str | None = None
    ) -> list[Job]:
        with self._lock:
            now = time.monotonic()
            due = [j for j in self.queued.values() if self.not_before.get(j.id, 0) <= now]
            order = sorted(due, key=lambda j: (-j.priority, j.id))[:limit]
            for job in order:
                del self.queued[job.id]
                self.running[job.id] = job
            self.claims.append([j.id for j in order])
            self.changed.notify_all()
            return order

    def store_assessment(self, job: Job, assessment: Assessment) -> bool:
        with self._lock:
            self._finish(job)
            self.stored[job.id] = assessment
            self.store_order.append(job.image_id)
            return True

    def fail_job(self, job: Job, reason: str, *, permanent: bool) -> None:
        with self._lock:
            del self.running[job.id]
            if not permanent and job.attempts + 1 < self.max_attempts:
                self.queued[job.id] = Job(
                    job.id, job.image_id, job.path, job.priority, job.annotate, job.attempts + 1
                )
                self.not_before[job.id] = time.monotonic() + self.backoff_s
            else:
                self.failed[job.id] = reason
            self.changed.notify_all()

    def release_jobs(self, jobs: list[Job]) -> None:
        with self._lock:
            for job in jobs:
                del self.running[job.id]
                self.queued[job.id] = job
                self.released.append(job.id)
            self.changed.notify_all()

    def requeue_interrupted(self) -> int:
        return 0

    def queue_upgrades(self) -> int:
        return 0  # this store knows no quick scores: see test_worker_quick_first.py

    def queue_counts(self) -> QueueCounts:
        with self._lock:
            return QueueCounts(
                len(self.queued), len(self.running), len(self.stored), len(self.failed)
            )

    def _finish(self, job: Job) -> None:
        del self.running[job.id]
        self.changed.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Block until predicate() (called under the store's lock) holds."""
        with self._lock:
            return self.changed.wait_for(predicate, timeout)


@dataclass
class FakePixels:
    path: str
    tiles: int


@dataclass
class Timeline:
    """Timestamps recorded by the doubles, to check what overlapped what."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    decode: dict[str, tuple[float, float]] = field(default_factory=dict)
    assess: dict[str, tuple[float, float]] = field(default_factory=dict)
    assess_threads: set[str] = field(default_factory=set)


class FakeLoader:
    """load_pixels double: optional delay and per-path errors; records decode intervals."""

    def __init__(self, timeline: Timeline, delay_s: float = 0.0) -> None:
        self.timeline = timeline
        self.delay_s = delay_s
        self.errors: dict[str, BaseException] = {}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, path: str, profile: PreprocessProfile) -> FakePixels:
        started = time.monotonic()
        self.calls.append((path, profile.max_tiles))
        if self.delay_s:
            time.sleep(self.delay_s)  # stands in for JPEG decoding work
        if path in self.errors:
            raise self.errors[path]
        with self.timeline.lock:
            self.timeline.decode.setdefault(path, (started, time.monotonic()))
        return FakePixels(path, profile.max_tiles)


class FakeEngine:
    """Engine double: a fixed score, optional delay or gate, and a per-path failure hook."""

    identity = SYNTHETIC_MODEL
    device = "cpu"
    dtype = "float32"

    def __init__(self, timeline: Timeline | None = None, delay_s: float = 0.0) -> None:
        self.timeline = timeline or Timeline()
        self.delay_s = delay_s
        self.gate: threading.Event | None = None  # when set, assess blocks until it opens
        self.entered = threading.Event()
        self.fail_on: dict[str, BaseException] = {}
        self.max_tiles_that_fit: int | None = None
        self.calls: list[tuple[str, int]] = []

    def assess(self, pixels, *, annotate=False, profile: PreprocessProfile) -> Assessment:
        started = time.monotonic()
        self.calls.append((pixels.path, pixels.tiles))
        self.timeline.assess_threads.add(threading.current_thread().name)
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.delay_s:
            time.sleep(self.delay_s)  # stands in for the model's compute
        if pixels.path in self.fail_on:
            raise self.fail_on[pixels.path]
        if self.max_tiles_that_fit is not None and pixels.tiles > self.max_tiles_that_fit:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        with self.timeline.lock:
            self.timeline.assess[pixels.path] = (started, time.monotonic())
        return make_assessment(profile=profile, tiles=pixels.tiles)


class EventLog:
    """A listener that keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0):
        """The first event matching predicate, waiting for it if needed."""
        with self._cond:
            found: list = []

            def match() -> bool:
                found[:] = [e for e in self.events if predicate(e)]
                return bool(found)

            if not self._cond.wait_for(match, timeout):
                raise AssertionError(f"no matching event within {timeout}s; got {self.events}")
            return found[0]

    def states(self) -> list:
        with self._cond:
            states = [e.state for e in self.events if hasattr(e, "state")]
        collapsed = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
        return collapsed


def stop_mid_image(worker, engine: FakeEngine, timeout: float) -> None:
    """Ask `worker` to stop while `engine` holds an image (gated), then let that image finish."""
    assert engine.entered.wait(timeout)
    stopper = threading.Thread(target=worker.stop, kwargs={"timeout": timeout})
    stopper.start()
    engine.gate.set()
    stopper.join(timeout)
    assert not worker.is_alive()
