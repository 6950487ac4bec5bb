"""The persistent job queue: order, claiming, results, failures, retries, restarts, re-scoring."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from humanaes_desktop.engine.assessment import ModelIdentity
from humanaes_desktop.library import Library, jobs
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from tests.support.assessments import PROFILE, SYNTHETIC_MODEL, make_assessment
from tests.support.libraries import score_all
from tests.support.photos import PHOTOS_DIR
from tests.support.waiting import wait_until

KEY, PROFILE_KEY = SYNTHETIC_MODEL.key, PROFILE.key


def _scanned(library: Library, photo_dir: Path):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    return folder


def _id_of(library: Library, name: str) -> int:
    ids = library.query_ids(GalleryQuery(sort_key="file_name", text=name))
    assert len(ids) == 1, name
    return ids[0]


def test_new_images_are_claimed_newest_first(library, photo_dir):
    for age, photo in enumerate(sorted(p for p in photo_dir.rglob("*") if p.is_file())):
        os.utime(photo, (1_600_000_000 - age * 100, 1_600_000_000 - age * 100))
    _scanned(library, photo_dir)
    claimed = library.claim_jobs(10, KEY, PROFILE_KEY)
    mtimes = [os.stat(job.path).st_mtime for job in claimed]
    assert len(claimed) == 6
    assert mtimes == sorted(mtimes, reverse=True)
    assert library.queue_counts().running == 6
    assert library.status_counts()[ImageStatus.SCORING] == 6


def test_stored_assessment_is_current_and_rebuilt_exactly(library, photo_dir):
    _scanned(library, photo_dir)
    job = library.claim_jobs(1, KEY, PROFILE_KEY)[0]
    stored = replace(
        make_assessment(0.71, annotation="A bright portrait."),
        attention="vision sdpa, language eager",
    )
    library.store_assessment(job, stored)
    detail = library.detail(job.image_id)
    assert detail.assessment == stored
    assert detail.row.status is ImageStatus.SCORED
    assert detail.row.overall == pytest.approx(0.71)
    assert detail.row.level == "good"
    assert detail.row.synthetic is True
    assert library.queue_counts().scored == 1


def test_explicit_request_jumps_the_queue(library, photo_dir):
    _scanned(library, photo_dir)
    wanted = _id_of(library, "camera")
    assert library.request_assessment(wanted)
    assert library.claim_jobs(1, KEY, PROFILE_KEY)[0].image_id == wanted


def test_satisfied_job_is_finished_without_rescoring(library, photo_dir):
    _scanned(library, photo_dir)
    score_all(library)
    image_id = _id_of(library, "coffee")
    library.request_assessment(image_id)  # already scored by this model: nothing to do
    assert library.claim_jobs(5, KEY, PROFILE_KEY) == []
    assert library.queue_counts().queued == 0
    assert library.detail(image_id).row.status is ImageStatus.SCORED


def test_annotation_request_rescores_and_keeps_one_assessment(library, photo_dir):
    _scanned(library, photo_dir)
    score_all(library)
    image_id = _id_of(library, "coffee")
    library.request_assessment(image_id, annotate=True)
    (job,) = library.claim_jobs(5, KEY, PROFILE_KEY)
    assert job.image_id == image_id and job.annotate
    library.store_assessment(job, make_assessment(0.42, annotation="A cup of coffee."))
    assert library.detail(image_id).assessment.annotation == "A cup of coffee."
    with sqlite3.connect(library.path) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM assessments WHERE image_id = ?", (image_id,)
        ).fetchone()
    assert count == 1


def _claim_when_due(library: Library, image_id: int, started: float, deadline_s: float = 10.0):
    """Poll the queue (a condition, not a fixed sleep) until `image_id` is handed out again."""
    handed_out: list = []

    def claimed() -> bool:
        handed_out.extend(
            j for j in library.claim_jobs(10, KEY, PROFILE_KEY) if j.image_id == image_id
        )
        return bool(handed_out)

    wait_until(claimed, deadline_s, f"image {image_id} to be retried")
    return handed_out[0], time.monotonic() - started


def test_transient_failure_backs_off_exponentially_then_gives_up(library, photo_dir, monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE_S", 0.2)
    _scanned(library, photo_dir)
    job = library.claim_jobs(1, KEY, PROFILE_KEY)[0]
    waits = []
    for _attempt in range(jobs.MAX_ATTEMPTS - 1):
        failed_at = time.monotonic()
        library.fail_job(job, "disk busy", permanent=False)
        assert library.detail(job.image_id).row.status is ImageStatus.QUEUED
        job, waited = _claim_when_due(library, job.image_id, failed_at)
        waits.append(waited)
    assert waits[0] >= 0.2 and waits[1] >= 0.4 and waits[2] >= 0.8
    library.fail_job(job, "disk busy", permanent=False)
    row = library.detail(job.image_id).row
    assert row.status is ImageStatus.FAILED
    assert "disk busy" in row.failure_reason and "gave up" in row.failure_reason


def test_permanent_failure_is_not_retried(library, photo_dir):
    _scanned(library, photo_dir)
    job = library.claim_jobs(1, KEY, PROFILE_KEY)[0]
    library.fail_job(job, "the image data ends early", permanent=True)
    row = library.detail(job.image_id).row
    assert (row.status, row.failure_reason) == (ImageStatus.FAILED, "the image data ends early")
    library.release_jobs(library.claim_jobs(10, KEY, PROFILE_KEY))
    counts = jobs.QueueCounts(queued=5, running=0, scored=0, failed=1, quick_pending=5)
    assert library.queue_counts() == counts


def test_jobs_left_running_by_a_crash_return_at_next_start(library, photo_dir):
    _scanned(library, photo_dir)
    claimed = library.claim_jobs(2, KEY, PROFILE_KEY)
    reopened = Library.open(library.path)  # the "next start" of the application
    try:
        assert reopened.requeue_interrupted() == 2
        assert reopened.queue_counts().running == 0
        assert {j.image_id for j in reopened.claim_jobs(2, KEY, PROFILE_KEY)} == {
            j.image_id for j in claimed
        }
    finally:
        reopened.close()


def test_rescore_keeps_old_scores_until_new_ones_exist(library, photo_dir):
    _scanned(library, photo_dir)
    score_all(library)
    newer = ModelIdentity("KlingTeam/HumanAesExpert-1B", "b8f7ee3", "f" * 64, synthetic=False)
    assert library.queue_rescore(newer.key, PROFILE_KEY) == 6
    assert library.queue_rescore(newer.key, PROFILE_KEY) == 0  # already queued
    top_before = library.top_n(6)
    assert all(row.overall is not None and row.synthetic for row in top_before)
    (job,) = library.claim_jobs(1, newer.key, PROFILE_KEY)
    assert library.detail(job.image_id).assessment.model == SYNTHETIC_MODEL  # still the old one
    library.store_assessment(job, make_assessment(0.9, model=newer))
    detail = library.detail(job.image_id)
    assert detail.assessment.model == newer and detail.row.synthetic is False


def test_file_changed_while_being_scored_is_scored_again(library, photo_dir):
    folder = _scanned(library, photo_dir)
    (job,) = [j for j in library.claim_jobs(10, KEY, PROFILE_KEY) if j.path.endswith("coffee.png")]
    shutil.copyfile(PHOTOS_DIR / "astronaut.png", photo_dir / "coffee.png")  # edited mid-scoring
    assert library.scan_folder(folder.id).changed == 1
    library.store_assessment(job, make_assessment(0.3))  # the result for the old pixels
    (again,) = [j for j in library.claim_jobs(10, KEY, PROFILE_KEY) if j.image_id == job.image_id]
    library.store_assessment(again, make_assessment(0.8))
    assert library.detail(job.image_id).row.overall == 0.8
    assert library.queue_counts().running == 5 and library.queue_counts().queued == 0


def _claim_named(library: Library, *names: str):
    claimed = {Path(j.path).name: j for j in library.claim_jobs(10, KEY, PROFILE_KEY)}
    return [claimed[name] for name in names]


def test_photo_deleted_while_being_scored_stays_missing(library, photo_dir):
    _scanned(library, photo_dir)
    scored, failed = _claim_named(library, "coffee.png", "camera.png")
    for job in (scored, failed):
        os.remove(job.path)
        library.apply_fs_changes(deleted=[job.path])
    library.store_assessment(scored, make_assessment(0.7))  # the model finished anyway
    library.fail_job(failed, "cannot read the file", permanent=True)
    for job in (scored, failed):
        row = library.detail(job.image_id).row
        assert (row.status, row.failure_reason) == (ImageStatus.MISSING, None), job.path
    assert library.status_counts()[ImageStatus.SCORED] == 0


def test_failure_of_the_old_content_leaves_the_new_content_queued(library, photo_dir):
    """A half-copied file fails to decode; its completed copy must still be scored."""
    folder = _scanned(library, photo_dir)
    (job,) = _claim_named(library, "coffee.png")
    shutil.copyfile(PHOTOS_DIR / "astronaut.png", photo_dir / "coffee.png")  # the copy completes
    assert library.scan_folder(folder.id).changed == 1
    library.fail_job(job, "the image data ends early", permanent=True)
    assert library.detail(job.image_id).row.status is ImageStatus.QUEUED
    (again,) = _claim_named(library, "coffee.png")
    library.store_assessment(again, make_assessment(0.6))
    assert library.detail(job.image_id).row.overall == 0.6


def test_annotation_asked_for_the_photo_being_scored_is_not_lost(library, photo_dir):
    """The user asks for annotation text on the photo the model is scoring right now."""
    _scanned(library, photo_dir)
    (running,) = _claim_named(library, "coffee.png")
    assert library.request_assessment(running.image_id, annotate=True)
    library.store_assessment(running, make_assessment(0.42))  # scored without annotation
    (again,) = library.claim_jobs(1, KEY, PROFILE_KEY)
    assert (again.image_id, again.annotate) == (running.image_id, True)
    library.store_assessment(again, make_assessment(0.42, annotation="A cup of coffee."))
    assert library.detail(running.image_id).assessment.annotation == "A cup of coffee."
