"""The worker against the real Library (SQLite file), real image decoding and real photos.

test_worker_model.py adds the real tiny synthetic model on top; here the engine is the
in-memory double so these tests stay fast and isolate the queue/DB interplay.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from humanaes_desktop.pipeline.events import AssessmentStored, ProgressChanged, WorkerState
from humanaes_desktop.pipeline.worker import ScoringWorker
from tests.support.worker_doubles import EventLog, FakeEngine, Timeline, stop_mid_image

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "grace_hopper.jpg")
PROFILE = PreprocessProfile(max_tiles=2)


class PixelEngine(FakeEngine):
    """The engine double, fed real tensors from load_pixels: checks their shape, keeps the path."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(timeline)
        self.tile_counts: list[int] = []

    def assess(self, pixels, *, annotate=False, profile):
        assert pixels.ndim == 4 and tuple(pixels.shape[1:]) == (3, 448, 448)
        self.tile_counts.append(int(pixels.shape[0]))
        return super().assess(_Tagged(pixels), annotate=annotate, profile=profile)


class _Tagged:
    def __init__(self, pixels) -> None:
        self.path = f"tensor-{id(pixels)}"
        self.tiles = int(pixels.shape[0])


def make_folder(tmp_path, sample_photos_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(sample_photos_dir / name, folder / name)
    data = (sample_photos_dir / "grace_hopper.jpg").read_bytes()
    # A readable header with the image data cut short: only decoding finds the damage.
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])
    return folder


@pytest.fixture
def library(tmp_path, sample_photos_dir):
    lib = Library.open(tmp_path / "library.sqlite3")
    lib.add_folder(make_folder(tmp_path, sample_photos_dir))
    lib.scan_all()
    yield lib
    lib.close()


def rows_by_name(lib: Library) -> dict:
    ids = lib.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    return {row.file_name: row for row in lib.rows(ids)}


def run_until_idle(lib: Library, engine, events: EventLog) -> ScoringWorker:
    worker = ScoringWorker(lib, lambda: engine, PROFILE, events, pixel_loader=load_pixels)
    worker.start()
    try:
        events.wait_for(
            lambda e: (
                isinstance(e, ProgressChanged) and e.state == WorkerState.IDLE and e.remaining == 0
            ),
            timeout=60,
        )
    finally:
        assert worker.stop(timeout=30)
    return worker


def test_scores_real_photos_and_fails_the_truncated_one_with_a_reason(library):
    engine, events = PixelEngine(Timeline()), EventLog()
    run_until_idle(library, engine, events)
    rows = rows_by_name(library)
    for name in PHOTOS:
        assert rows[name].status == ImageStatus.SCORED and rows[name].overall == 0.5
    broken = rows["truncated.jpg"]
    assert broken.status == ImageStatus.FAILED
    assert "truncated" in broken.failure_reason or "damaged" in broken.failure_reason
    counts = library.queue_counts()
    assert (counts.queued, counts.running, counts.scored, counts.failed) == (0, 0, 4, 1)
    assert all(1 <= n <= 3 for n in engine.tile_counts)  # max_tiles=2 plus a thumbnail tile


def test_stored_assessment_keeps_pipeline_timings(library):
    run_until_idle(library, PixelEngine(Timeline()), EventLog())
    row = rows_by_name(library)["chelsea.png"]
    detail = library.detail(row.id)
    assert detail is not None and detail.assessment is not None
    assert detail.assessment.timings["decode"] > 0
    assert "decode_wait" in detail.assessment.timings


def test_user_request_jumps_the_queue(library):
    target = rows_by_name(library)["coffee.png"]
    assert library.request_assessment(target.id)
    engine, events = PixelEngine(Timeline()), EventLog()
    run_until_idle(library, engine, events)
    first = next(e for e in events.events if type(e).__name__ == "AssessmentStored")
    assert first.image_id == target.id


def test_stop_mid_image_leaves_no_job_running_and_loses_none(library):
    engine, events = PixelEngine(Timeline()), EventLog()
    engine.gate = threading.Event()
    worker = ScoringWorker(library, lambda: engine, PROFILE, events, pixel_loader=load_pixels)
    worker.start()
    stop_mid_image(worker, engine, timeout=30)
    counts = library.queue_counts()
    assert counts.running == 0
    assert counts.scored == 1
    assert counts.queued + counts.scored + counts.failed == 5


def test_photo_deleted_while_in_the_model_is_not_reported_as_scored(library):
    engine, events = PixelEngine(Timeline()), EventLog()
    engine.gate = threading.Event()
    worker = ScoringWorker(
        library, lambda: engine, PROFILE, events, pixel_loader=load_pixels, prefetch=0
    )
    worker.start()
    try:
        assert engine.entered.wait(30)
        scoring = GalleryQuery(statuses=frozenset({ImageStatus.SCORING}))
        (in_model,) = library.rows(library.query_ids(scoring))
        os.remove(in_model.path)
        library.apply_fs_changes(deleted=[in_model.path])
        engine.gate.set()
        events.wait_for(
            lambda e: isinstance(e, ProgressChanged) and e.state == WorkerState.IDLE, timeout=60
        )
    finally:
        assert worker.stop(timeout=30)
    stored = {e.image_id for e in events.events if isinstance(e, AssessmentStored)}
    assert in_model.id not in stored and len(stored) == 3  # the other good photos
    assert library.detail(in_model.id).row.status is ImageStatus.MISSING


def test_every_damaged_file_fails_once_with_its_reason_and_is_never_retried(tmp_path):
    from tests.support.failure_corpus import write_corpus

    folder = tmp_path / "corpus"
    expected = write_corpus(folder)
    with Library.open(tmp_path / "corpus.sqlite3") as lib:
        lib.add_folder(folder)
        lib.scan_all()
        engine, events = PixelEngine(Timeline()), EventLog()
        run_until_idle(lib, engine, events)
        rows = rows_by_name(lib)
    failures = [e for e in events.events if type(e).__name__ == "ImageFailed"]
    assert all(e.permanent for e in failures)  # damaged bytes are not worth a retry
    for name, outcome in expected.items():
        row = rows[name]
        if outcome.error is None:
            assert row.status == ImageStatus.SCORED, (name, row.failure_reason)
        else:
            wanted = (
                ImageStatus.UNSUPPORTED if outcome.status == "unsupported" else ImageStatus.FAILED
            )
            assert row.status == wanted, (name, row.failure_reason)
            assert name in row.failure_reason and "gave up" not in row.failure_reason
