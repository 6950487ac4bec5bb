"""What the progress events say: model label, rate/ETA, throttling."""

from __future__ import annotations

from humanaes_desktop.pipeline.events import WorkerState
from humanaes_desktop.pipeline.progress import ProgressReporter, model_label
from humanaes_desktop.pipeline.throughput import ThroughputMeter
from tests.support.assessments import REAL_MODEL, SYNTHETIC_MODEL
from tests.support.worker_doubles import EventLog, FakeEngine


def test_a_synthetic_model_is_always_labelled_synthetic():
    engine = FakeEngine()
    assert model_label(engine) == f"{SYNTHETIC_MODEL.repo} (SYNTHETIC)"
    engine.label = "synthetic/full"  # even if an engine's own label forgot to say so
    assert model_label(engine) == "synthetic/full (SYNTHETIC)"


def test_a_real_model_label_has_no_synthetic_mark():
    engine = FakeEngine()
    engine.identity = REAL_MODEL
    assert model_label(engine) == "KlingTeam/HumanAesExpert-1B"
    assert FakeEngine.identity.synthetic  # the default double stays synthetic


def test_repeated_scoring_progress_is_throttled_but_state_changes_are_not():
    events = EventLog()
    reporter = ProgressReporter(events, lambda: 3, interval_s=60)
    engine = FakeEngine()
    reporter.progress(WorkerState.SCORING, engine, current_path="/a.jpg")
    reporter.progress(WorkerState.SCORING, engine, current_path="/b.jpg")
    reporter.progress(WorkerState.IDLE, engine)
    assert [e.state for e in events.events] == [WorkerState.SCORING, WorkerState.IDLE]
    assert events.events[0].remaining == 3


def test_rate_and_eta_follow_recent_completions():
    meter = ThroughputMeter(window_s=10)
    for t in (0.0, 1.0, 2.0, 3.0):
        meter.record(now=t)
    assert meter.images_per_s(now=3.0) == 1.0
    assert meter.eta_s(5, now=3.0) == 5.0
    # After a long gap the old completions fall out of the window: no stale rate.
    assert meter.images_per_s(now=30.0) is None
