"""The scoring worker: one long-lived thread owns the model, a small pool decodes ahead of it.

Control methods (`start`, `pause`, `resume`, `wake`, `stop`, `set_engine_loader`,
`set_profiles`) may be called from any thread; they only set flags under a Condition and notify.
Everything else (loading the model, claiming jobs, assessing, storing) happens on the worker's
own thread, which is the only thread that ever touches the engine — models are not thread-safe.

With "quick first" (the default on a CPU) the worker gives every queued photo a quick score
(one tile) before any full one, then upgrades them, most promising first; see pipeline/plan.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.profiles import ProfileKind, ProfileMode
from humanaes_desktop.errors import UserError
from humanaes_desktop.library.records import Job, QueueCounts
from humanaes_desktop.pipeline.contracts import Engine, JobStore
from humanaes_desktop.pipeline.events import (
    AssessmentStored,
    EventListener,
    ImageFailed,
    WorkerState,
)
from humanaes_desktop.pipeline.plan import ScoringPlan, settle_plan
from humanaes_desktop.pipeline.prefetch import (
    PixelLoader,
    PrefetchedImage,
    Prefetcher,
    await_decode,
    load_pixels_lazily,
)
from humanaes_desktop.pipeline.progress import ProgressReporter, WorkerStats
from humanaes_desktop.pipeline.scoring import (
    assess_with_fallback,
    describe_assess_failure,
    describe_load_failure,
    free_accelerator_memory,
    with_pipeline_timings,
)
from humanaes_desktop.wording import NO_MODEL_INSTALLED

log = logging.getLogger(__name__)

EngineLoader = Callable[[], Engine]


class ScoringWorker:
    """Pulls jobs from the store, scores them with the engine, stores results, reports events."""

    def __init__(
        self,
        store: JobStore,
        engine_loader: EngineLoader | None,
        profile: PreprocessProfile,
        listener: EventListener | None = None,
        *,
        prefetch: int = 2,
        batch_claim: int = 2,
        pixel_loader: PixelLoader | None = None,
        idle_poll_s: float = 2.0,
        progress_interval_s: float = 0.25,
        annotate_all: bool = False,
        profile_mode: ProfileMode | str = ProfileMode.FULL,
    ) -> None:
        self._store = store
        # Read by the worker thread per image (a bool is atomic); a quick pass is never
        # annotated: its full pass follows, and the text would be written twice.
        self.annotate_all = annotate_all
        self._profile = profile  # the full profile
        self._mode = ProfileMode(profile_mode)
        self._plan: ScoringPlan | None = None  # settled once a model is loaded (see plan.py)
        self._window = 1 + max(0, prefetch)  # the image being scored plus those decoding ahead
        self._batch_claim = max(1, min(batch_claim, self._window))
        self._load_pixels = pixel_loader or load_pixels_lazily
        # Delayed retries (transient failures with backoff) have no event announcing them, so
        # an idle worker looks again after this long even without a wake().
        self._idle_poll_s = idle_poll_s

        self._cond = threading.Condition()
        self._loader = engine_loader
        self._load_error: str | None = None
        self._stop_requested = False
        self._paused = False
        self._wake_pending = False
        self._reprioritize = False
        self._reload_requested = False
        self._replan_requested = False
        self._next_profile: PreprocessProfile | None = None
        self._next_mode: ProfileMode | None = None
        self._thread: threading.Thread | None = None
        self._stats = WorkerStats()

        # Owned by the worker thread only.
        self._engine: Engine | None = None
        self._pending: deque[PrefetchedImage] = deque()
        self._in_hand: Job | None = None  # taken from the window, not yet stored or failed
        self._events = ProgressReporter(listener, self._queue_counts, progress_interval_s)

    # ---- control (any thread) ----------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread; the model is loaded there, lazily."""
        with self._cond:
            if self._thread is not None:
                raise RuntimeError("the scoring worker was already started")
            # Daemon only so a forced exit (second Ctrl-C) is possible while the model is busy;
            # orderly shutdown always goes through stop(), and the DB queue survives either way.
            self._thread = threading.Thread(target=self._run, name="humanaes-scoring", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Finish the current image, then hold: claimed jobs go back to the queue."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Continue after pause()."""
        with self._cond:
            self._paused = False
            self._wake_pending = True
            self._cond.notify_all()

    def wake(self, *, reprioritize: bool = False) -> None:
        """New jobs may exist (called by the folder watcher or after a request).

        With `reprioritize` (a user asked for an image) the images decoded ahead go back to the
        queue after the current one, so the requested image is claimed next instead of waiting
        behind the look-ahead; only their decoding is lost.
        """
        with self._cond:
            self._wake_pending = True
            self._reprioritize = self._reprioritize or reprioritize
            self._cond.notify_all()

    def set_engine_loader(
        self, loader: EngineLoader | None, profile: PreprocessProfile | None = None
    ) -> None:
        """The model (or the preprocessing profile) changed: the worker releases its claimed
        jobs, unloads the old model and loads this one in its own thread."""
        with self._cond:
            self._loader = loader
            self._next_profile = profile
            self._load_error = None
            self._reload_requested = True
            self._cond.notify_all()

    def set_profiles(self, profile: PreprocessProfile, mode: ProfileMode | str) -> None:
        """The full profile or the quick/full mode changed: the images decoded ahead go back to
        the queue and the next claims follow the new plan. The model stays loaded."""
        with self._cond:
            self._next_profile = profile
            self._next_mode = ProfileMode(mode)
            self._replan_requested = True
            self._cond.notify_all()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the worker to stop and wait for it; True once the thread has ended.

        An image already inside the model is finished and stored (the model cannot be
        interrupted); images still decoding are abandoned and their jobs released.
        """
        with self._cond:
            self._stop_requested = True
            self._cond.notify_all()
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def is_alive(self) -> bool:
        """True while the worker thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def state(self) -> WorkerState | None:
        """The state last reported to the listener (None before the first report)."""
        return self._events.state

    @property
    def paused(self) -> bool:
        return self._paused

    def stats(self) -> WorkerStats:
        """A snapshot of the time accounting so far."""
        with self._cond:
            return self._stats

    # ---- the worker thread -------------------------------------------------------------

    def _run(self) -> None:
        prefetcher = Prefetcher(self._load_pixels)
        try:
            while not self._stop_requested:
                try:
                    self._step(prefetcher)
                except Exception:
                    # A DB hiccup must not end scoring for the session: log, give the claimed
                    # jobs back, wait a little and carry on.
                    log.exception("scoring worker step failed; retrying shortly")
                    self._release_pending()
                    self._release_in_hand()
                    self._wait_until(lambda: self._stop_requested, self._idle_poll_s)
        finally:
            self._release_pending()
            prefetcher.shutdown()
            self._events.progress(WorkerState.STOPPED, self._engine)
            self._engine = None
            free_accelerator_memory()

    def _step(self, prefetcher: Prefetcher) -> None:
        with self._cond:
            reload, paused = self._reload_requested, self._paused
            replan, reprioritize = self._replan_requested, self._reprioritize
            next_profile, next_mode = self._next_profile, self._next_mode
            self._reload_requested = self._reprioritize = self._replan_requested = False
            self._next_profile = self._next_mode = None
        if reload:
            self._unload_engine()
        elif replan or reprioritize:
            self._release_pending()
        # Safe now: nothing decoded with the old profiles is held any more.
        if next_profile is not None:
            self._profile, self._plan = next_profile, None
        if next_mode is not None:
            self._mode, self._plan = next_mode, None
        if paused:
            self._release_pending()
            self._events.reset_rates()
            self._events.progress(WorkerState.PAUSED, self._engine)
            self._wait_until(lambda: not self._paused or self._reload_requested)
            return
        if self._engine is None and not self._load_engine():
            self._wait_until(lambda: self._reload_requested or self._paused)
            return
        if self._plan is None:
            self._settle_plan()
        self._fill_window(prefetcher)
        if not self._pending:
            self._events.progress(WorkerState.IDLE, self._engine)
            self._wait_until(
                lambda: self._wake_pending or self._paused or self._reload_requested,
                self._idle_poll_s,
            )
            return
        self._score_next()

    def _wait_until(self, condition: Callable[[], bool], timeout: float | None = None) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._stop_requested or condition(), timeout)

    def _should_abandon_decode(self) -> bool:
        return (
            self._stop_requested or self._paused or self._reload_requested or self._replan_requested
        )

    def _load_engine(self) -> bool:
        with self._cond:
            loader, error = self._loader, self._load_error
        if loader is None or error is not None:
            self._events.progress(
                WorkerState.WAITING_FOR_MODEL, self._engine, message=error or NO_MODEL_INSTALLED
            )
            return False
        self._events.progress(WorkerState.LOADING_MODEL, self._engine)
        try:
            engine = loader()
        except Exception as exc:
            message = _load_failure_message(exc)
            with self._cond:
                if self._loader is loader:  # not superseded while loading
                    self._load_error = message
            self._events.progress(WorkerState.WAITING_FOR_MODEL, self._engine, message=message)
            return False
        self._engine = engine
        self._events.reset_rates()
        log.info("model loaded: %s on %s (%s)", engine.identity.repo, engine.device, engine.dtype)
        return True

    def _settle_plan(self) -> None:
        assert self._engine is not None
        self._plan = settle_plan(self._store, self._mode, self._profile, self._engine.device)
        self._events.mode = self._plan.mode

    def _unload_engine(self) -> None:
        self._release_pending()
        self._plan = None  # the next model may run on another device
        if self._engine is not None:
            self._engine = None
            free_accelerator_memory()

    def _fill_window(self, prefetcher: Prefetcher) -> None:
        with self._cond:
            self._wake_pending = False  # cleared before claiming, so no wake() is ever lost
        room = self._window - len(self._pending)
        # Refill in batches once enough slots are free: fewer, larger claims on the DB.
        if room <= 0 or (self._pending and room < self._batch_claim):
            return
        assert self._engine is not None and self._plan is not None
        plan = self._plan
        jobs = self._store.claim_jobs(
            room, self._engine.identity.key, plan.final.key, quick_profile_key=plan.quick_key
        )
        for job in map(plan.settled, jobs):
            self._pending.append(prefetcher.submit(job, plan.profile_for(job)))

    def _score_next(self) -> None:
        item = self._pending[0]
        wait_started = time.monotonic()
        if not await_decode(item, self._should_abandon_decode):
            return  # stop/pause/model change: the next step releases the job
        waited = time.monotonic() - wait_started
        self._pending.popleft()
        self._in_hand = item.job
        error = item.future.exception()
        if error is not None:
            reason, permanent = describe_load_failure(error)
            if hasattr(error, "permanent"):  # the engine's ImageLoadError: the listener reports it
                log.info("cannot load %s: %s", item.job.path, reason)
            else:  # not an error the engine anticipated: keep the traceback for a developer
                log.warning("cannot load %s: %s", item.job.path, reason, exc_info=error)
            self._fail(item.job, reason, permanent)
            return
        self._assess_and_store(item.job, item.future.result(), waited)

    def _assess_and_store(self, job: Job, decoded, waited: float) -> None:
        engine = self._engine
        assert engine is not None
        self._events.progress(
            WorkerState.SCORING, self._engine, current_path=job.path, current_quick=job.quick
        )
        started = time.monotonic()
        try:
            assessment = assess_with_fallback(
                engine,
                job,
                decoded.pixels,
                decoded.profile,
                self._load_pixels,
                annotate_all=self.annotate_all and not job.quick,
            )
        except Exception as exc:
            log.exception("the model failed on %s", job.path)
            reason, permanent = describe_assess_failure(exc)
            self._fail(job, reason, permanent)
            return
        assess_s = time.monotonic() - started
        assessment = with_pipeline_timings(assessment, decoded.decode_s, waited)
        try:
            stored = self._store.store_assessment(job, assessment)
        except Exception as exc:
            # Retried a few times by the store's transient path, never in an endless loop.
            log.exception("could not store the assessment of %s", job.path)
            self._fail(job, f"the result could not be saved: {exc}", permanent=False)
            return
        self._in_hand = None
        self._events.image_finished(
            scored=stored is not False,
            quick=job.quick and stored is not False,
            started_at=started - waited,
        )
        if stored is False:  # deleted or replaced while in the model: nothing to announce
            return
        self._add_stats(
            scored=1, assess_s=assess_s, decode_s=decoded.decode_s, decode_wait_s=waited
        )
        event = AssessmentStored(
            job.image_id,
            assessment.overall,
            assessment.level,
            job.path,
            assessment.synthetic,
            profile_kind=ProfileKind.of(assessment.profile.max_tiles),
            full_follows=job.quick,
        )
        self._events.emit(event)

    def _fail(self, job: Job, reason: str, permanent: bool) -> None:
        self._store.fail_job(job, reason, permanent=permanent)
        self._in_hand = None
        if permanent:
            self._events.image_finished(scored=False)
        self._add_stats(failed=int(permanent), retried=int(not permanent))
        self._events.emit(ImageFailed(job.image_id, reason, permanent, job.path))

    def _release_in_hand(self) -> None:
        job, self._in_hand = self._in_hand, None
        if job is None:
            return
        try:
            self._store.release_jobs([job])
        except Exception:
            log.exception("could not release the job of %s", job.path)

    def _release_pending(self) -> None:
        if not self._pending:
            return
        jobs = []
        while self._pending:
            item = self._pending.popleft()
            item.future.cancel()  # a decode already running just finishes unused
            jobs.append(item.job)
        try:
            self._store.release_jobs(jobs)
        except Exception:
            # Not fatal: jobs left "running" go back to the queue at the next start.
            log.exception("could not release %d claimed jobs", len(jobs))

    def _add_stats(self, **deltas: float) -> None:
        with self._cond:
            self._stats = self._stats.added(**deltas)

    # ---- events ------------------------------------------------------------------------

    def _queue_counts(self) -> QueueCounts:
        try:
            return self._store.queue_counts()
        except Exception:
            log.exception("could not count the queue")
            return QueueCounts(queued=len(self._pending), running=0, scored=0, failed=0)


def _load_failure_message(exc: Exception) -> str:
    """One line for the user; the traceback goes to the log when the cause is unexpected."""
    if isinstance(exc, UserError):
        log.warning("model not loaded: %s", exc)
        return str(exc)
    log.exception("loading the model failed")
    return f"the model could not be loaded: {type(exc).__name__}: {exc}"
