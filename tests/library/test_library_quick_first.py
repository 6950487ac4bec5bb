"""Quick first, full later, in the persistent queue: pass order, the score an image shows,
restarts, failures, changed files and upgrades of photos scored with the quick profile only."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from humanaes_desktop.engine.assessment import ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery, ImageStatus, ProfileMix
from tests.support.assessments import SYNTHETIC_MODEL as SYNTHETIC
from tests.support.assessments import make_assessment
from tests.support.photos import PHOTOS_DIR as PHOTOS
from tests.support.quick_scores import QUICK_SCORES

QUICK = PreprocessProfile(max_tiles=1)
FULL = PreprocessProfile(max_tiles=12)
KEY = SYNTHETIC.key
REAL = ModelIdentity("KlingTeam/HumanAesExpert-1B", "b8f7ee3", "f" * 64, synthetic=False)


def claim(lib: Library, limit: int = 10, model: str = KEY):
    """Claim as a "quick first" worker does."""
    return lib.claim_jobs(limit, model, FULL.key, QUICK.key)


def name(job) -> str:
    return Path(job.path).name


def store_quick_passes(lib: Library, scores: dict[str, float]) -> None:
    for job in claim(lib):
        assert job.quick, name(job)
        lib.store_assessment(job, make_assessment(scores[name(job)], profile=QUICK))


def row_of(lib: Library, file_name: str):
    ids = lib.query_ids(GalleryQuery(sort_key="file_name", text=file_name))
    (row,) = lib.rows(ids)
    return row


def assessment_count(lib: Library, image_id: int) -> int:
    with sqlite3.connect(lib.path) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM assessments WHERE image_id = ?", (image_id,)
        ).fetchone()
    conn.close()
    return count


SCORES = QUICK_SCORES


@pytest.fixture
def scanned(library, photo_dir):
    for age, photo in enumerate(sorted(p for p in photo_dir.rglob("*") if p.is_file())):
        stamp = 1_600_000_000 + age * 100  # later in sorted order is newer
        os.utime(photo, (stamp, stamp))
    library.scan_folder(library.add_folder(photo_dir).id)
    return library


def test_every_quick_pass_comes_before_any_full_pass_newest_first(scanned):
    quick = claim(scanned, 3)
    assert all(job.quick for job in quick)
    assert [name(j) for j in quick] == ["rocket.jpg", "grace_hopper.jpg", "coffee.png"]
    for job in quick:
        scanned.store_assessment(job, make_assessment(SCORES[name(job)], profile=QUICK))
    rest = claim(scanned)
    assert [(name(j), j.quick) for j in rest[:3]] == [
        ("chelsea.png", True),
        ("camera.png", True),
        ("astronaut.png", True),
    ]
    assert not any(j.quick for j in rest[3:]) and len(rest) == 6


def test_full_passes_go_by_quick_score_then_newest(scanned):
    store_quick_passes(scanned, SCORES)
    full = claim(scanned)
    assert not any(job.quick for job in full)
    # camera and coffee tie at 0.70: coffee is newer.
    assert [name(j) for j in full] == [
        "rocket.jpg",
        "coffee.png",
        "camera.png",
        "chelsea.png",
        "astronaut.png",
        "grace_hopper.jpg",
    ]


def test_the_quick_score_shows_until_the_full_one_replaces_it(scanned):
    (job,) = [j for j in claim(scanned) if name(j) == "camera.png"]
    assert scanned.store_assessment(job, make_assessment(0.7, profile=QUICK))
    row = row_of(scanned, "camera.png")
    assert (row.status, row.overall, row.profile_kind) == (ImageStatus.SCORED, 0.7, "quick")
    assert scanned.queue_counts().awaiting_full == 1
    assert scanned.detail(row.id).full_pending
    (full,) = [j for j in claim(scanned) if name(j) == "camera.png"]
    assert not full.quick
    assert row_of(scanned, "camera.png").profile_kind is ProfileKind.QUICK  # still, while scored
    scanned.store_assessment(full, make_assessment(0.62, profile=FULL))
    row = row_of(scanned, "camera.png")
    assert (row.overall, row.level, row.profile_kind) == (0.62, "good", ProfileKind.FULL)
    detail = scanned.detail(row.id)
    assert detail.assessment.profile == FULL and not detail.full_pending
    assert assessment_count(scanned, row.id) == 2  # both kept
    assert scanned.queue_counts().awaiting_full == 0


def test_a_quick_score_never_hides_the_same_models_full_one(scanned):
    (job,) = [j for j in scanned.claim_jobs(10, KEY, FULL.key) if name(j) == "coffee.png"]
    scanned.store_assessment(job, make_assessment(0.8, profile=FULL))
    image_id = row_of(scanned, "coffee.png").id
    assert scanned.request_assessment(image_id)
    (again,) = scanned.claim_jobs(10, KEY, QUICK.key)  # "quick only" now: a 1-tile pass
    scanned.store_assessment(again, make_assessment(0.3, profile=QUICK))
    row = row_of(scanned, "coffee.png")
    assert (row.overall, row.profile_kind) == (0.8, ProfileKind.FULL)


def test_a_new_models_quick_score_replaces_an_old_models_full_one(scanned):
    for job in scanned.claim_jobs(10, KEY, FULL.key):
        scanned.store_assessment(job, make_assessment(0.8, profile=FULL))
    assert scanned.queue_rescore(REAL.key, FULL.key) == 6
    image_id = row_of(scanned, "coffee.png").id
    (again,) = [j for j in claim(scanned, model=REAL.key) if j.image_id == image_id]
    assert again.quick
    scanned.store_assessment(again, make_assessment(0.3, model=REAL, profile=QUICK))
    row = row_of(scanned, "coffee.png")
    assert (row.overall, row.synthetic) == (0.3, False)


def test_an_explicit_request_skips_the_quick_pass(scanned):
    wanted = row_of(scanned, "astronaut.png").id
    assert scanned.request_assessment(wanted)
    first = claim(scanned, 1)[0]
    assert (first.image_id, first.quick) == (wanted, False)
    scanned.store_assessment(first, make_assessment(0.5, profile=FULL))
    assert scanned.queue_counts().awaiting_full == 0
    assert row_of(scanned, "astronaut.png").profile_kind is ProfileKind.FULL
    assert wanted not in {j.image_id for j in claim(scanned)}  # its job is done


def test_a_request_for_a_quick_scored_photo_runs_its_full_pass_next(scanned):
    store_quick_passes(scanned, SCORES)
    wanted = row_of(scanned, "grace_hopper.jpg").id  # the lowest quick score: last in line
    scanned.request_assessment(wanted)
    assert claim(scanned, 1)[0].image_id == wanted


def test_a_restart_redoes_the_pass_that_was_cut_short_and_no_other(scanned):
    store_quick_passes(scanned, {**SCORES})
    full = claim(scanned, 2)  # rocket and coffee in their full pass: then the "crash"
    quick_of_rocket = row_of(scanned, "rocket.jpg").overall
    reopened = Library.open(scanned.path)
    try:
        assert reopened.requeue_interrupted() == 2
        again = reopened.claim_jobs(2, KEY, FULL.key, QUICK.key)
        assert [(j.image_id, j.quick) for j in again] == [(j.image_id, False) for j in full]
        assert reopened.rows([full[0].image_id])[0].overall == quick_of_rocket
    finally:
        reopened.close()


def test_a_quick_pass_cut_short_is_redone_as_a_quick_pass(scanned):
    first = claim(scanned, 1)[0]
    assert first.quick
    reopened = Library.open(scanned.path)
    try:
        assert reopened.requeue_interrupted() == 1
        again = reopened.claim_jobs(1, KEY, FULL.key, QUICK.key)[0]
        assert (again.image_id, again.quick) == (first.image_id, True)
    finally:
        reopened.close()


def test_a_failed_full_pass_keeps_the_quick_score_and_says_why(scanned):
    store_quick_passes(scanned, SCORES)
    job = claim(scanned, 1)[0]
    scanned.fail_job(job, "the model failed on this image", permanent=True)
    row = row_of(scanned, "rocket.jpg")
    assert (row.status, row.overall, row.profile_kind) == (ImageStatus.SCORED, 0.9, "quick")
    assert row.failure_reason == "no full score: the model failed on this image"
    assert job.image_id not in {j.image_id for j in claim(scanned)}


def test_a_failed_quick_pass_fails_the_photo(scanned):
    job = claim(scanned, 1)[0]
    scanned.fail_job(job, "the image data ends early", permanent=True)
    row = row_of(scanned, name(job))
    assert (row.status, row.failure_reason) == (ImageStatus.FAILED, "the image data ends early")


def test_a_photo_edited_while_awaiting_its_full_pass_starts_over(scanned, photo_dir):
    store_quick_passes(scanned, SCORES)
    shutil.copyfile(PHOTOS / "astronaut.png", photo_dir / "coffee.png")
    assert scanned.scan_all().changed == 1
    row = row_of(scanned, "coffee.png")
    assert (row.overall, row.profile_kind, row.status) == (None, None, ImageStatus.QUEUED)
    first = claim(scanned, 1)[0]
    assert (first.image_id, first.quick) == (row.id, True)


def test_quick_only_ends_the_job_with_the_quick_score(scanned):
    for job in scanned.claim_jobs(10, KEY, QUICK.key):
        assert not job.quick  # the quick profile is the final one here
        scanned.store_assessment(job, make_assessment(SCORES[name(job)], profile=QUICK))
    counts = scanned.queue_counts()
    assert (counts.queued, counts.running, counts.scored) == (0, 0, 6)
    assert row_of(scanned, "rocket.jpg").profile_kind is ProfileKind.QUICK


def test_upgrades_of_quick_only_scores_are_queued_once_and_best_first(scanned):
    for job in scanned.claim_jobs(10, KEY, QUICK.key):
        scanned.store_assessment(job, make_assessment(SCORES[name(job)], profile=QUICK))
    assert scanned.queue_upgrades() == 6
    assert scanned.queue_upgrades() == 0
    counts = scanned.queue_counts()
    assert (counts.queued, counts.awaiting_full, counts.quick_pending) == (6, 6, 0)
    order = [name(j) for j in scanned.claim_jobs(10, KEY, FULL.key)]
    assert order[:2] == ["rocket.jpg", "coffee.png"] and order[-1] == "grace_hopper.jpg"


def test_an_existing_quick_score_moves_the_job_on_without_scoring(scanned):
    for job in scanned.claim_jobs(10, KEY, QUICK.key):
        scanned.store_assessment(job, make_assessment(SCORES[name(job)], profile=QUICK))
    assert scanned.queue_rescore(KEY, FULL.key) == 6  # jobs that start at their quick pass
    jobs = claim(scanned)
    assert len(jobs) == 6 and not any(j.quick for j in jobs)
    assert [name(j) for j in jobs][:2] == ["rocket.jpg", "coffee.png"]


def test_queue_counts_tell_the_two_passes_apart(scanned):
    store_quick_passes(scanned, {**SCORES})
    claim(scanned, 1)
    scanned.request_assessment(row_of(scanned, "camera.png").id)
    counts = scanned.queue_counts()
    assert (counts.queued, counts.running) == (5, 1)
    assert (counts.awaiting_full, counts.quick_pending) == (6, 0)


def test_profile_counts_follow_the_gallery_filter(scanned):
    store_quick_passes(scanned, SCORES)
    for job in claim(scanned, 2):  # rocket and coffee get their full scores
        scanned.store_assessment(job, make_assessment(SCORES[name(job)], profile=FULL))
    everything = scanned.profile_counts(GalleryQuery())
    assert everything == ProfileMix(quick=4, full=2, full_pending=4)
    good = scanned.profile_counts(GalleryQuery(levels=frozenset({"good", "excellent"})))
    assert good == ProfileMix(quick=1, full=2, full_pending=1)  # camera; rocket and coffee
    for job in claim(scanned):  # the full passes fail for good: none is pending any more
        scanned.fail_job(job, "stopped", permanent=True)
    assert scanned.profile_counts(GalleryQuery()).full_pending == 0


def test_a_photo_edited_during_its_full_pass_shows_the_new_contents_quick_score(scanned, photo_dir):
    store_quick_passes(scanned, SCORES)
    (running,) = [j for j in claim(scanned) if name(j) == "coffee.png"]  # its full pass
    shutil.copyfile(PHOTOS / "astronaut.png", photo_dir / "coffee.png")  # edited meanwhile
    assert scanned.scan_all().changed == 1
    scanned.store_assessment(running, make_assessment(0.8, profile=FULL))  # the old pixels'
    (quick,) = [j for j in claim(scanned) if name(j) == "coffee.png"]
    assert quick.quick  # the new content starts with its quick pass
    scanned.store_assessment(quick, make_assessment(0.33, profile=QUICK))
    row = row_of(scanned, "coffee.png")
    assert (row.overall, row.profile_kind) == (0.33, ProfileKind.QUICK)  # not the stale 0.8
    (full,) = [j for j in claim(scanned) if name(j) == "coffee.png"]
    assert not full.quick  # forced: the stale full score does not satisfy it
    scanned.store_assessment(full, make_assessment(0.36, profile=FULL))
    assert row_of(scanned, "coffee.png").overall == 0.36
