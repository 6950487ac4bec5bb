"""What the progress events say: model label, rate/ETA, throttling."""

from __future__ import annotations

from worker_doubles import IDENTITY, EventLog, FakeEngine

from humanaes_desktop.engine.assessment import ModelIdentity
from humanaes_desktop.pipeline.events import WorkerState
from humanaes_desktop.pipeline.progress import ProgressReporter, model_label
from humanaes_desktop.pipeline.throughput import ThroughputMeter


def test_a_synthetic_model_is_always_labelled_synthetic():
    engine = FakeEngine()
    assert model_label(engine) == "test/double (SYNTHETIC)"
    engine.label = "synthetic/tiny"  # even if an engine's own label forgot to say so
    assert model_label(engine) == "synthetic/tiny (SYNTHETIC)"


def test_a_real_model_label_has_no_synthetic_mark():
    engine = FakeEngine()
    engine.identity = ModelIdentity("KlingTeam/HumanAesExpert-1B", "b8f7", "a" * 64, False)
    assert model_label(engine) == "KlingTeam/HumanAesExpert-1B"
    assert IDENTITY.synthetic  # the default double stays synthetic


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
