"""The worker end to end: real Library on a tmp SQLite file, the real tiny synthetic model loaded
through the adapter (the same code path as the real model), real photos."""

from __future__ import annotations

import shutil

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from humanaes_desktop.pipeline.events import AssessmentStored, ProgressChanged, WorkerState
from humanaes_desktop.pipeline.worker import ScoringWorker
from tests.support.worker_doubles import EventLog

PROFILE = PreprocessProfile(max_tiles=2)


def idle_and_empty(event) -> bool:
    return (
        isinstance(event, ProgressChanged)
        and event.state == WorkerState.IDLE
        and event.remaining == 0
    )


def test_waits_for_a_model_then_scores_real_photos_with_the_tiny_model(
    tmp_path, sample_photos_dir, tiny_model_dir
):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut.png", "camera.png", "rocket.jpg"):
        shutil.copy(sample_photos_dir / name, folder / name)
    lib = Library.open(tmp_path / "library.sqlite3")
    lib.add_folder(folder)
    lib.scan_all()
    events = EventLog()
    worker = ScoringWorker(lib, None, PROFILE, events)
    worker.start()
    try:
        waiting = events.wait_for(
            lambda e: isinstance(e, ProgressChanged) and e.state == WorkerState.WAITING_FOR_MODEL
        )
        assert "no model installed" in waiting.message
        assert lib.queue_counts().queued == 3  # the queue waits, untouched

        def load():
            from humanaes_desktop.engine.model.adapter import HumanAesExpert

            return HumanAesExpert.load(tiny_model_dir, device="cpu", dtype="fp32")

        worker.set_engine_loader(load)
        done = events.wait_for(idle_and_empty, timeout=120)
    finally:
        assert worker.stop(timeout=60)
    assert done.done == 3 and done.synthetic and "(SYNTHETIC)" in done.model_label
    states = events.states()
    assert states[:3] == [
        WorkerState.WAITING_FOR_MODEL,
        WorkerState.LOADING_MODEL,
        WorkerState.SCORING,
    ]
    assert states[-2:] == [WorkerState.IDLE, WorkerState.STOPPED]
    stored = [e for e in events.events if isinstance(e, AssessmentStored)]
    assert len(stored) == 3 and all(e.synthetic for e in stored)

    ids = lib.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    for row in lib.rows(ids):
        assert row.status == ImageStatus.SCORED and 0.0 <= row.overall <= 1.0
        assessment = lib.detail(row.id).assessment
        assert assessment.synthetic and assessment.profile == PROFILE
        assert 1 <= assessment.tiles <= 3
        assert {"decode", "decode_wait", "total"} <= set(assessment.timings)
    lib.close()
