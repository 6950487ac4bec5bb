"""Quick first, full later: the worker on a real Library (SQLite file) with real threads.

The engine double scores by file name, so the order of the full passes can be checked against
known quick scores; the last test runs the real tiny synthetic model on real photos.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.profiles import ProfileKind, ProfileMode
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery
from humanaes_desktop.pipeline.events import AssessmentStored, ProgressChanged, WorkerState
from humanaes_desktop.pipeline.worker import ScoringWorker
from tests.support.assessments import make_assessment
from tests.support.quick_scores import QUICK_SCORES
from tests.support.worker_doubles import EventLog, FakeEngine, FakeLoader, Timeline

FULL = PreprocessProfile(max_tiles=6)
# The double's quick scores are QUICK_SCORES; its full pass adds 0.05 so the two differ.


class ScoreByName(FakeEngine):
    """Scores a photo by its name; records (name, tiles, annotate) per call."""

    def __init__(self) -> None:
        super().__init__(Timeline())
        self.passes: list[tuple[str, int, bool]] = []
        self.loads = 0

    def assess(self, pixels, *, annotate=False, profile):
        name = Path(pixels.path).name
        self.passes.append((name, profile.max_tiles, annotate))
        super().assess(pixels, annotate=annotate, profile=profile)
        bonus = 0.0 if profile.max_tiles == 1 else 0.05
        return make_assessment(QUICK_SCORES[name] + bonus, profile=profile, tiles=pixels.tiles)


@pytest.fixture
def library(tmp_path, sample_photos_dir):
    """The sample photos at 3:2, a shape the full profile feeds as several tiles."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for age, name in enumerate(sorted(QUICK_SCORES)):
        with Image.open(sample_photos_dir / name) as image:
            image.convert("RGB").resize((600, 400)).save(folder / name)
        stamp = 1_600_000_000 + age * 100  # later in name order is newer
        os.utime(folder / name, (stamp, stamp))
    lib = Library.open(tmp_path / "library.sqlite3")
    lib.add_folder(folder)
    lib.scan_all()
    yield lib
    lib.close()


def idle_and_empty(event) -> bool:
    return (
        isinstance(event, ProgressChanged)
        and event.state == WorkerState.IDLE
        and event.remaining == 0
    )


def make_worker(lib, engine, events, mode, **kwargs) -> ScoringWorker:
    def load():
        engine.loads += 1
        return engine

    loader = FakeLoader(engine.timeline)
    return ScoringWorker(lib, load, FULL, events, pixel_loader=loader, profile_mode=mode, **kwargs)


def run_until_idle(worker: ScoringWorker, events: EventLog) -> None:
    worker.start()
    try:
        events.wait_for(idle_and_empty, timeout=60)
    finally:
        assert worker.stop(timeout=30)


def rows_by_name(lib: Library) -> dict:
    ids = lib.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    return {row.file_name: row for row in lib.rows(ids)}


def test_quick_scores_for_all_first_then_full_ones_best_first(library):
    engine, events = ScoreByName(), EventLog()
    run_until_idle(make_worker(library, engine, events, ProfileMode.QUICK_FIRST), events)
    quick = [(name, tiles) for name, tiles, _ in engine.passes[:6]]
    assert quick == [(n, 1) for n in sorted(QUICK_SCORES, reverse=True)]  # newest first
    full = [name for name, tiles, _ in engine.passes[6:] if tiles == FULL.max_tiles]
    # Highest quick score first; camera and coffee tie, coffee is newer.
    assert full == ["rocket.jpg", "coffee.png", "camera.png", "chelsea.png", "astronaut.png"] + [
        "grace_hopper.jpg"
    ]
    rows = rows_by_name(library)
    assert all(row.profile_kind is ProfileKind.FULL for row in rows.values())
    assert rows["rocket.jpg"].overall == pytest.approx(0.95)
    stored = [e for e in events.events if isinstance(e, AssessmentStored)]
    assert [e.full_follows for e in stored] == [True] * 6 + [False] * 6
    assert [e.profile_kind for e in stored] == [ProfileKind.QUICK] * 6 + [ProfileKind.FULL] * 6


def test_progress_tells_the_quick_pass_from_the_full_one(library):
    engine, events = ScoreByName(), EventLog()
    run_until_idle(make_worker(library, engine, events, ProfileMode.QUICK_FIRST), events)
    scoring = [e for e in events.events if isinstance(e, ProgressChanged) and e.current_path]
    assert all(e.profile_mode is ProfileMode.QUICK_FIRST for e in scoring)
    assert scoring[0].current_quick and scoring[0].quick_remaining == 6
    assert scoring[0].remaining == 6  # each photo still owes its full score
    assert not scoring[-1].current_quick and scoring[-1].quick_remaining == 0
    done = events.wait_for(idle_and_empty)
    assert (done.done, done.quick_done) == (6, 6)


def test_auto_is_quick_first_on_a_cpu_and_full_only_on_a_gpu(library):
    engine, events = ScoreByName(), EventLog()
    engine.device = "cuda"
    run_until_idle(make_worker(library, engine, events, ProfileMode.AUTO), events)
    assert {tiles for _, tiles, _ in engine.passes} == {FULL.max_tiles}
    assert events.wait_for(idle_and_empty).profile_mode is ProfileMode.FULL


def test_quick_only_then_quick_first_upgrades_without_reloading_the_model(library):
    engine, events = ScoreByName(), EventLog()
    worker = make_worker(library, engine, events, ProfileMode.QUICK)
    worker.start()
    try:
        events.wait_for(idle_and_empty, timeout=60)
        assert {tiles for _, tiles, _ in engine.passes} == {1}
        assert all(r.profile_kind is ProfileKind.QUICK for r in rows_by_name(library).values())
        events.events.clear()
        # Quick first now, and Max tiles lowered to 3 at the same time.
        worker.set_profiles(PreprocessProfile(max_tiles=3), ProfileMode.QUICK_FIRST)
        worker.wake()
        events.wait_for(lambda e: idle_and_empty(e) and e.done == 12, timeout=60)
    finally:
        assert worker.stop(timeout=30)
    assert engine.loads == 1
    upgrades = engine.passes[6:]
    assert [name for name, _, _ in upgrades][:2] == ["rocket.jpg", "coffee.png"]
    assert {tiles for _, tiles, _ in upgrades} == {3}
    assert all(r.profile_kind is ProfileKind.FULL for r in rows_by_name(library).values())


def test_annotation_for_all_is_written_by_the_full_pass_only(library):
    engine, events = ScoreByName(), EventLog()
    worker = make_worker(library, engine, events, ProfileMode.QUICK_FIRST, annotate_all=True)
    run_until_idle(worker, events)
    assert {(tiles, annotate) for _, tiles, annotate in engine.passes} == {
        (1, False),
        (FULL.max_tiles, True),
    }


def test_a_request_during_the_quick_pass_gets_its_full_score_next(library):
    engine, events = ScoreByName(), EventLog()
    engine.gate = threading.Event()
    worker = make_worker(library, engine, events, ProfileMode.QUICK_FIRST, prefetch=0)
    worker.start()
    try:
        assert engine.entered.wait(30)  # the first quick pass (rocket) is in the model
        wanted = rows_by_name(library)["astronaut.png"]
        assert library.request_assessment(wanted.id)
        worker.wake(reprioritize=True)
        engine.gate.set()
        events.wait_for(idle_and_empty, timeout=60)
    finally:
        assert worker.stop(timeout=30)
    assert engine.passes[:2] == [("rocket.jpg", 1, False), ("astronaut.png", 6, False)]
    assert ("astronaut.png", 1, False) not in engine.passes  # no quick pass for it


def test_a_photo_the_full_profile_feeds_as_one_tile_gets_one_full_pass(library, monkeypatch):
    square = Path(library.folders()[0].path) / "square.png"
    Image.new("RGB", (512, 512), "gray").save(square)
    library.scan_all()
    monkeypatch.setitem(QUICK_SCORES, "square.png", 0.5)
    engine, events = ScoreByName(), EventLog()
    run_until_idle(make_worker(library, engine, events, ProfileMode.QUICK_FIRST), events)
    assert [(n, t) for n, t, _ in engine.passes if n == "square.png"] == [("square.png", 6)]
    row = rows_by_name(library)["square.png"]
    assert row.profile_kind is ProfileKind.FULL and row.overall == pytest.approx(0.55)


def test_the_tiny_model_scores_real_photos_quick_then_full(tmp_path, library, tiny_model_dir):
    def load():
        from humanaes_desktop.engine.model.adapter import HumanAesExpert

        return HumanAesExpert.load(tiny_model_dir, device="cpu", dtype="fp32")

    events = EventLog()
    worker = ScoringWorker(
        library, load, PreprocessProfile(max_tiles=4), events, profile_mode="auto"
    )
    run_until_idle(worker, events)
    for name, row in rows_by_name(library).items():
        detail = library.detail(row.id)
        assert row.profile_kind is ProfileKind.FULL, name
        assert detail.assessment.profile.max_tiles == 4 and detail.assessment.tiles >= 1
    counts = library.stats().assessments_by_kind
    assert counts == {ProfileKind.QUICK: 6, ProfileKind.FULL: 6}
    stored = [e for e in events.events if isinstance(e, AssessmentStored)]
    assert [e.full_follows for e in stored] == [True] * 6 + [False] * 6
