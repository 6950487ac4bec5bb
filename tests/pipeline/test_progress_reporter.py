"""What the progress events say: model label, rate/ETA, throttling."""

from __future__ import annotations

import time

import pytest

from humanaes_desktop.engine.profiles import ProfileMode
from humanaes_desktop.library.records import QueueCounts
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
    reporter = ProgressReporter(events, lambda: QueueCounts(3, 0, 0, 0), interval_s=60)
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


def test_quick_and_full_passes_are_timed_apart_and_the_eta_adds_both():
    events = EventLog()
    counts = QueueCounts(queued=3, running=1, scored=0, failed=0, quick_pending=3)
    reporter = ProgressReporter(events, lambda: counts, interval_s=0)
    reporter.mode = ProfileMode.QUICK_FIRST
    now = time.monotonic()
    reporter.image_finished(scored=True, quick=True, started_at=now - 2.0)  # 0.5 quick/s
    reporter.image_finished(scored=True, started_at=now - 20.0)  # 0.05 full/s
    reporter.progress(WorkerState.SCORING, FakeEngine(), current_path="/a.jpg", current_quick=True)
    event = events.events[-1]
    assert (event.quick_done, event.done, event.quick_remaining, event.remaining) == (1, 1, 3, 4)
    assert event.images_per_s == pytest.approx(0.5, rel=0.05)
    assert event.quick_eta_s == pytest.approx(6.0, rel=0.05)
    assert event.eta_s == pytest.approx(6.0 + 80.0, rel=0.05)  # the full passes of all four


def test_without_a_measured_full_rate_the_total_eta_is_unknown():
    events = EventLog()
    counts = QueueCounts(queued=5, running=1, scored=0, failed=0, quick_pending=5)
    reporter = ProgressReporter(events, lambda: counts, interval_s=0)
    reporter.mode = ProfileMode.QUICK_FIRST
    reporter.image_finished(scored=True, quick=True, started_at=time.monotonic() - 1.0)
    reporter.progress(WorkerState.SCORING, FakeEngine(), current_path="/a.jpg", current_quick=True)
    event = events.events[-1]
    assert event.quick_eta_s is not None and event.eta_s is None
    assert event.in_quick_pass
