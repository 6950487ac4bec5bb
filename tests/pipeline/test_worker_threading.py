"""The scoring worker's control flow, with in-memory doubles for store, engine and decoder.

Real runs (the real Library, the tiny model, photos) are in test_worker_library.py and
test_worker_model.py.
"""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.errors import UserError
from humanaes_desktop.pipeline.events import (
    AssessmentStored,
    ImageFailed,
    ProgressChanged,
    WorkerState,
)
from humanaes_desktop.pipeline.worker import ScoringWorker
from tests.support.assessments import SYNTHETIC_MODEL
from tests.support.worker_doubles import (
    EventLog,
    FakeEngine,
    FakeLoader,
    MemoryStore,
    Timeline,
    stop_mid_image,
)

PROFILE = PreprocessProfile(max_tiles=4)


class LoadError(UserError):
    """Mimics the engine's ImageLoadError: carries `.permanent`."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@pytest.fixture
def parts():
    timeline = Timeline()
    store = MemoryStore()
    engine = FakeEngine(timeline)
    loader = FakeLoader(timeline)
    events = EventLog()
    workers: list[ScoringWorker] = []

    def make(engine_loader=lambda: engine, **kw) -> ScoringWorker:
        kw.setdefault("idle_poll_s", 0.2)
        worker = ScoringWorker(store, engine_loader, PROFILE, events, pixel_loader=loader, **kw)
        workers.append(worker)
        return worker

    yield store, engine, loader, events, make
    for worker in workers:
        assert worker.stop(timeout=10), "worker thread did not stop"


def state_is(state):
    return lambda e: isinstance(e, ProgressChanged) and e.state == state


def test_scores_every_queued_job_and_reports_loading_scoring_idle(parts):
    store, engine, _, events, make = parts
    for i in range(5):
        store.add(f"/photos/{i}.jpg")
    make().start()
    events.wait_for(lambda e: isinstance(e, ProgressChanged) and e.state == WorkerState.IDLE)
    assert len(store.stored) == 5 and not store.queued and not store.running
    states = events.states()
    assert states[:2] == [WorkerState.LOADING_MODEL, WorkerState.SCORING]
    assert states[-1] == WorkerState.IDLE
    idle = events.wait_for(state_is(WorkerState.IDLE))
    assert idle.done == 5 and idle.remaining == 0
    assert idle.model_label == f"{SYNTHETIC_MODEL.repo} (SYNTHETIC)" and idle.synthetic
    assert idle.device == "cpu"
    stored = [e for e in events.events if isinstance(e, AssessmentStored)]
    assert sorted(e.image_id for e in stored) == [1, 2, 3, 4, 5]
    assert all(e.synthetic and e.path.startswith("/photos/") for e in stored)


def test_assessment_records_decode_timings(parts):
    store, _, _, events, make = parts
    store.add("/photos/a.jpg")
    make().start()
    events.wait_for(state_is(WorkerState.IDLE))
    (assessment,) = store.stored.values()
    assert {"decode", "decode_wait"} <= set(assessment.timings)


def test_wake_picks_up_jobs_added_while_idle(parts):
    store, _, _, events, make = parts
    worker = make(idle_poll_s=30)  # a long poll: only wake() can explain a prompt pickup
    worker.start()
    events.wait_for(state_is(WorkerState.IDLE))
    store.add("/photos/late.jpg")
    worker.wake()
    assert store.wait_for(lambda: len(store.stored) == 1, timeout=5)


def test_engine_runs_only_on_the_worker_thread(parts):
    store, engine, _, events, make = parts
    for i in range(4):
        store.add(f"/p/{i}.jpg")
    make().start()
    events.wait_for(state_is(WorkerState.IDLE))
    assert engine.timeline.assess_threads == {"humanaes-scoring"}


def test_priority_request_is_scored_first(parts):
    store, _, _, events, make = parts
    for i in range(4):
        store.add(f"/p/{i}.jpg")
    wanted = store.add("/p/selected.jpg", priority=100)
    make().start()
    events.wait_for(state_is(WorkerState.IDLE))
    assert store.store_order[0] == wanted.image_id


def test_pause_claims_nothing_until_resume(parts):
    store, engine, _, events, make = parts
    for i in range(6):
        store.add(f"/p/{i}.jpg")
    engine.gate = threading.Event()
    worker = make()
    worker.start()
    assert engine.entered.wait(5)
    worker.pause()
    engine.gate.set()  # the image in the model finishes; the prefetched ones go back
    events.wait_for(state_is(WorkerState.PAUSED))
    claims_when_paused = len(store.claims)
    assert store.queue_counts().running == 0
    assert len(store.stored) == 1
    # Still paused after a wake(): no claim, nothing scored.
    worker.wake()
    assert not store.wait_for(lambda: len(store.claims) > claims_when_paused, timeout=0.5)
    worker.resume()
    assert store.wait_for(lambda: len(store.stored) == 6, timeout=5)


def test_stop_while_scoring_stores_the_current_image_and_releases_the_rest(parts):
    store, engine, loader, events, make = parts
    for i in range(5):
        store.add(f"/p/{i}.jpg")
    engine.gate = threading.Event()
    worker = make()
    worker.start()
    stop_mid_image(worker, engine, timeout=10)
    counts = store.queue_counts()
    assert counts.running == 0, "a claimed job was left running"
    assert counts.scored + counts.queued == 5, "a job was lost"
    assert counts.scored == 1
    assert events.states()[-1] == WorkerState.STOPPED


def test_stop_while_decoding_releases_the_job(parts):
    store, engine, loader, events, make = parts
    loader.delay_s = 0.5
    store.add("/p/slow.jpg")
    worker = make()
    worker.start()
    assert store.wait_for(lambda: len(store.running) == 1, timeout=5)
    assert worker.stop(timeout=5)
    assert store.queue_counts().queued == 1 and not store.stored
    assert store.released == [1]


def test_permanent_load_failure_fails_once_and_the_queue_goes_on(parts):
    store, engine, loader, events, make = parts
    bad = store.add("/p/corrupt.jpg")
    store.add("/p/good.jpg")
    loader.errors["/p/corrupt.jpg"] = LoadError("not an image file", permanent=True)
    make().start()
    events.wait_for(state_is(WorkerState.IDLE))
    assert store.failed == {bad.id: "not an image file"}
    assert len(loader.calls) == 2, "a permanent failure must not be retried"
    failed = events.wait_for(lambda e: isinstance(e, ImageFailed))
    assert failed.permanent and failed.image_id == bad.image_id
    assert len(store.stored) == 1


def test_transient_load_failure_is_retried_then_scored(parts):
    store, engine, loader, events, make = parts
    store.add("/p/locked.jpg")
    loader.errors["/p/locked.jpg"] = LoadError("the file is being written", permanent=False)
    make().start()
    failed = events.wait_for(lambda e: isinstance(e, ImageFailed))
    assert not failed.permanent
    del loader.errors["/p/locked.jpg"]  # the copy finished
    # The retry is due after the store's backoff; the idle worker finds it without a wake().
    assert store.wait_for(lambda: len(store.stored) == 1, timeout=5)
    assert not store.failed
    assert len(loader.calls) == 2


def test_unexpected_engine_error_fails_that_image_only(parts):
    store, engine, _, events, make = parts
    store.add("/p/weird.jpg")
    store.add("/p/fine.jpg")
    engine.fail_on["/p/weird.jpg"] = ValueError("shape mismatch")
    make().start()
    events.wait_for(state_is(WorkerState.IDLE))
    assert list(store.failed.values()) == [
        "the model failed on this image: ValueError: shape mismatch"
    ]
    assert len(store.stored) == 1


def test_out_of_memory_retries_with_fewer_tiles_and_records_the_profile(parts):
    # Real GPU out-of-memory cannot happen on this CPU-only machine, so the engine double raises
    # the exact error torch raises (a RuntimeError saying "CUDA out of memory") above 1 tile.
    store, engine, loader, events, make = parts
    store.add("/p/big.jpg")
    engine.max_tiles_that_fit = 1
    make().start()
    events.wait_for(state_is(WorkerState.IDLE))
    (assessment,) = store.stored.values()
    assert assessment.profile.max_tiles == 1
    assert [t for _, t in engine.calls] == [4, 2, 1]
    assert ("/p/big.jpg", 2) in loader.calls and ("/p/big.jpg", 1) in loader.calls


def test_out_of_memory_even_at_one_tile_is_a_transient_failure(parts):
    store, engine, _, events, make = parts
    store.add("/p/huge.jpg")
    engine.max_tiles_that_fit = 0
    make().start()
    failed = events.wait_for(lambda e: isinstance(e, ImageFailed))
    assert not failed.permanent and "out of memory" in failed.reason


def test_no_model_waits_then_recovers_via_set_engine_loader(parts):
    store, engine, _, events, make = parts
    store.add("/p/a.jpg")
    worker = make(engine_loader=None)
    worker.start()
    waiting = events.wait_for(state_is(WorkerState.WAITING_FOR_MODEL))
    assert "no model installed" in waiting.message
    assert store.claims == [] and store.queue_counts().queued == 1
    worker.set_engine_loader(lambda: engine)
    assert store.wait_for(lambda: len(store.stored) == 1, timeout=5)


def test_model_load_failure_waits_with_the_reason_and_is_not_retried_in_a_loop(parts):
    store, engine, _, events, make = parts
    store.add("/p/a.jpg")
    attempts = []

    def broken_loader():
        attempts.append(1)
        raise UserError("the model folder /m has no model.safetensors")

    worker = make(engine_loader=broken_loader)
    worker.start()
    waiting = events.wait_for(state_is(WorkerState.WAITING_FOR_MODEL))
    assert waiting.message == "the model folder /m has no model.safetensors"
    worker.wake()
    worker.pause()
    events.wait_for(state_is(WorkerState.PAUSED))
    worker.resume()
    # Back to waiting, with the same reason, without calling the broken loader again.
    events.wait_for(
        lambda e: (
            events.states()[-3:]
            == [WorkerState.WAITING_FOR_MODEL, WorkerState.PAUSED, WorkerState.WAITING_FOR_MODEL]
        )
    )
    assert events.events[-1].message == waiting.message
    assert store.claims == [] and len(attempts) == 1
    worker.set_engine_loader(lambda: engine)
    assert store.wait_for(lambda: len(store.stored) == 1, timeout=5)


def test_model_change_releases_claimed_jobs_and_reloads(parts):
    store, engine, _, events, make = parts
    for i in range(4):
        store.add(f"/p/{i}.jpg")
    engine.gate = threading.Event()
    worker = make()
    worker.start()
    assert engine.entered.wait(5)
    second = FakeEngine(engine.timeline)
    worker.set_engine_loader(lambda: second)
    engine.gate.set()
    assert store.wait_for(lambda: len(store.stored) == 4, timeout=5)
    assert len(second.calls) == 3, "images after the change must use the new model"
    assert store.released, "prefetched jobs of the old model go back to the queue"


def test_a_failing_listener_does_not_stop_the_worker(parts, caplog):
    store, engine, loader, _, _ = parts
    store.add("/p/a.jpg")
    store.add("/p/b.jpg")

    def bad_listener(event):
        raise RuntimeError("listener bug")

    worker = ScoringWorker(
        store, lambda: engine, PROFILE, bad_listener, pixel_loader=loader, idle_poll_s=0.2
    )
    worker.start()
    try:
        assert store.wait_for(lambda: len(store.stored) == 2, timeout=5)
    finally:
        assert worker.stop(timeout=5)
    assert "listener failed" in caplog.text


def test_prefetch_decodes_the_next_image_while_the_model_is_busy(parts):
    store, engine, loader, events, make = parts
    engine.delay_s = 0.15
    loader.delay_s = 0.1
    paths = [f"/p/{i}.jpg" for i in range(4)]
    for path in paths:
        store.add(path)
    worker = make()
    worker.start()
    events.wait_for(state_is(WorkerState.IDLE))
    tl = engine.timeline
    for current, following in pairwise(paths):
        assess_start, assess_end = tl.assess[current]
        decode_start, decode_end = tl.decode[following]
        # Image k+1 was decoded while image k was inside the model.
        assert decode_end <= assess_end, f"{following} was not decoded ahead of the model"
    stats = worker.stats()
    # Only the first decode is waited for; later ones were ready (loose bound for a busy CPU).
    assert stats.decode_wait_s < 0.1 + 0.5 * stats.decode_s


class HiccupStore(MemoryStore):
    """store_assessment fails the first `failures` times, as a locked or full disk would."""

    def __init__(self, failures: int, fail_job_too: bool = False) -> None:
        super().__init__()
        self.failures = failures
        self.fail_job_too = fail_job_too

    def store_assessment(self, job, assessment) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        super().store_assessment(job, assessment)

    def fail_job(self, job, reason, *, permanent) -> None:
        if self.fail_job_too:
            raise OSError("disk I/O error")
        super().fail_job(job, reason, permanent=permanent)


def test_a_result_that_cannot_be_saved_is_retried_not_lost():
    store = HiccupStore(failures=1)
    store.add("/p/a.jpg")
    engine, events = FakeEngine(), EventLog()
    worker = ScoringWorker(
        store, lambda: engine, PROFILE, events, pixel_loader=FakeLoader(Timeline()), idle_poll_s=0.2
    )
    worker.start()
    try:
        failed = events.wait_for(lambda e: isinstance(e, ImageFailed))
        assert not failed.permanent and "could not be saved" in failed.reason
        assert store.wait_for(lambda: len(store.stored) == 1, timeout=5)
    finally:
        assert worker.stop(timeout=5)


def test_when_the_db_refuses_everything_the_job_goes_back_instead_of_hanging_as_running():
    store = HiccupStore(failures=1, fail_job_too=True)
    store.add("/p/a.jpg")
    engine = FakeEngine()
    worker = ScoringWorker(
        store, lambda: engine, PROFILE, None, pixel_loader=FakeLoader(Timeline()), idle_poll_s=0.2
    )
    worker.start()
    try:
        # Released after the failed step, then scored once the store works again.
        assert store.wait_for(lambda: len(store.stored) == 1, timeout=10)
        assert store.released == [1]
    finally:
        assert worker.stop(timeout=5)


def test_a_user_request_overtakes_the_images_already_decoded_ahead(parts):
    store, engine, _, events, make = parts
    for i in range(5):
        store.add(f"/p/{i}.jpg")
    engine.gate = threading.Event()
    worker = make()
    worker.start()
    assert engine.entered.wait(5)  # image 1 in the model, 2 and 3 decoded ahead
    assert store.wait_for(lambda: len(store.running) == 3)
    wanted = store.add("/p/selected.jpg", priority=100)
    worker.wake(reprioritize=True)
    engine.gate.set()
    assert store.wait_for(lambda: len(store.stored) == 6, timeout=5)
    assert store.store_order[:2] == [1, wanted.image_id]


def test_a_new_profile_with_the_model_change_applies_to_the_next_images(parts):
    store, engine, loader, events, make = parts
    store.add("/p/a.jpg")
    worker = make()
    worker.start()
    assert store.wait_for(lambda: len(store.stored) == 1)
    worker.set_engine_loader(lambda: engine, PreprocessProfile(max_tiles=1, decode="fast"))
    store.add("/p/b.jpg")
    worker.wake()
    assert store.wait_for(lambda: len(store.stored) == 2)
    profiles = [store.stored[job_id].profile for job_id in (1, 2)]
    assert profiles == [PROFILE, PreprocessProfile(max_tiles=1, decode="fast")]
    assert loader.calls[-1] == ("/p/b.jpg", 1)
