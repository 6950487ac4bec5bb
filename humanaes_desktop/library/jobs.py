"""The persistent job queue (the JobStore protocol of pipeline/contracts.py).

A job row exists while an image waits for (or is in) scoring; finished jobs are deleted. The
image's status mirrors it: QUEUED/SCORING while a job exists (SCORED stays while an already
scored image waits for a re-score), SCORED or FAILED once it ends.

Quick first, full later: when the worker claims with a quick profile, a job that no user asked
for explicitly runs its quick pass first. Storing that result keeps the job, marked
`awaiting_full` with the quick score, in the same transaction; the full passes then come after
every quick one, most promising first (highest quick score, then newest). A kill at any moment
leaves either the quick pass to redo or the full pass to do, never a lost or a doubled step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.engine.profiles import QUICK_MAX_TILES
from humanaes_desktop.library.assessments import make_current, upsert_assessment
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.groups import store_embedding
from humanaes_desktop.library.records import ImageStatus, Job, QueueCounts
from humanaes_desktop.library.schema import AssessmentOrm, FolderOrm, ImageOrm, JobOrm
from humanaes_desktop.library.xmp.pending import mark_pending

log = logging.getLogger(__name__)

EXPLICIT_PRIORITY = 100  # a user asked for this image (the GUI's selection)
SCAN_PRIORITY = 0
MAX_ATTEMPTS = 4  # transient failures before an image is given up as FAILED
BACKOFF_BASE_S = 5.0  # first retry after 5 s, then 10 s, 20 s …

QUEUED, RUNNING = "queued", "running"

# What an image waiting in the queue shows: its old scores stay visible during a re-score.
WAITING_STATUS = case(
    (ImageOrm.current_assessment_id.is_(None), ImageStatus.QUEUED.value),
    else_=ImageStatus.SCORED.value,
)


def enqueue(session: Session, entries: Sequence[tuple[int, float]], priority: int = SCAN_PRIORITY):
    """Queue (image_id, file_mtime) pairs; an existing job is reset, never duplicated."""
    if not entries:
        return
    statement = sqlite_insert(JobOrm)
    statement = statement.on_conflict_do_update(
        index_elements=[JobOrm.image_id],
        set_={
            "file_mtime": statement.excluded.file_mtime,
            # New content: its quick pass is still to come.
            "awaiting_full": False,
            "quick_overall": None,
            "attempts": 0,
            "not_before": 0.0,
            "last_error": None,
            # A job being scored right now is for the old content: queue it again, and force
            # the re-score (the old content's result, stored meanwhile, must not satisfy it).
            "state": QUEUED,
            "force": case((JobOrm.state == RUNNING, True), else_=JobOrm.force),
        },
    )
    session.execute(
        statement,
        [{"image_id": i, "file_mtime": m, "priority": priority} for i, m in entries],
    )
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id.in_([i for i, _ in entries]))
        .values(status=WAITING_STATUS, failure_reason=None)
    )


def drop_jobs(session: Session, image_ids: Sequence[int]) -> None:
    """Forget the jobs of images that can no longer be scored (missing, unsupported, failed)."""
    if image_ids:
        session.execute(delete(JobOrm).where(JobOrm.image_id.in_(list(image_ids))))


def claim_jobs(
    db: Database,
    limit: int,
    model_key: str,
    profile_key: str,
    quick_profile_key: str | None = None,
) -> list[Job]:
    """Move up to `limit` due jobs to running, best first; finish those already satisfied.

    `profile_key` is the profile that ends a job. With `quick_profile_key` ("quick first") a job
    whose quick pass is not stored yet, and that no user asked for, is handed out for that pass
    (`Job.quick`); an existing quick assessment moves it on to its full pass without scoring.
    """
    keys = (profile_key, quick_profile_key) if quick_profile_key else (profile_key,)
    claimed: list[Job] = []
    with db.write() as session:
        while len(claimed) < limit:
            candidates = _due_jobs(session, (limit - len(claimed)) * 2)
            if not candidates:
                break
            done = _existing_assessments(session, candidates, model_key, keys)
            for row in candidates:
                quick = quick_profile_key is not None and _wants_quick_pass(row)
                found = done.get(row.image_id, {})
                if profile_key in found and not row.force:
                    _finish_satisfied(session, row, found[profile_key])
                elif quick and quick_profile_key in found and not row.force:
                    _advance_to_full(session, row.image_id, found[quick_profile_key])
                elif len(claimed) < limit:
                    claimed.append(_start(session, row, quick))
    return claimed


def _wants_quick_pass(row) -> bool:
    # An explicit request is for the photo's final score: the quick pass would only delay it.
    return not row.awaiting_full and row.priority < EXPLICIT_PRIORITY


def _due_jobs(session: Session, limit: int) -> Sequence[Any]:
    return session.execute(
        select(
            JobOrm.id,
            JobOrm.image_id,
            JobOrm.priority,
            JobOrm.annotate,
            JobOrm.force,
            JobOrm.attempts,
            JobOrm.awaiting_full,
            ImageOrm.rel_path,
            ImageOrm.width,
            ImageOrm.height,
            FolderOrm.path.label("folder_path"),
        )
        .join(ImageOrm, ImageOrm.id == JobOrm.image_id)
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .where(JobOrm.state == QUEUED, JobOrm.not_before <= time.time())
        .order_by(*CLAIM_ORDER)
        .limit(limit)
    ).all()


# Explicit requests first; then every quick pass (newest photo first); then the full passes,
# most promising first. Matches the ix_jobs_claim_order index, so no sort is needed.
CLAIM_ORDER = (
    JobOrm.priority.desc(),
    JobOrm.awaiting_full,
    JobOrm.quick_overall.desc(),
    JobOrm.file_mtime.desc(),
    JobOrm.id,
)


def _existing_assessments(
    session: Session, rows, model_key: str, profile_keys: Sequence[str]
) -> dict[int, dict[str, int]]:
    """image id -> {profile key: assessment id} of this model's assessments of these images."""
    found = session.execute(
        select(AssessmentOrm.image_id, AssessmentOrm.profile_key, AssessmentOrm.id).where(
            AssessmentOrm.image_id.in_([r.image_id for r in rows]),
            AssessmentOrm.model_key == model_key,
            AssessmentOrm.profile_key.in_(list(profile_keys)),
        )
    ).all()
    by_image: dict[int, dict[str, int]] = {}
    for image_id, key, assessment_id in found:
        by_image.setdefault(image_id, {})[key] = assessment_id
    return by_image


def _finish_satisfied(session: Session, row, assessment_id: int) -> None:
    make_current(session, row.image_id, assessment_id)
    _end_job(session, row.image_id, ImageStatus.SCORED, None)


def _advance_to_full(session: Session, image_id: int, quick_id: int) -> None:
    """The image has its quick score already: the job waits for the full pass."""
    make_current(session, image_id, quick_id)
    overall = session.scalar(select(AssessmentOrm.overall).where(AssessmentOrm.id == quick_id))
    session.execute(
        update(JobOrm)
        .where(JobOrm.image_id == image_id)
        .values(awaiting_full=True, quick_overall=overall)
    )
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id == image_id)
        .values(status=ImageStatus.SCORED.value, failure_reason=None)
    )


def _start(session: Session, row, quick: bool = False) -> Job:
    session.execute(update(JobOrm).where(JobOrm.id == row.id).values(state=RUNNING))
    session.execute(
        update(ImageOrm).where(ImageOrm.id == row.image_id).values(status=ImageStatus.SCORING.value)
    )
    return Job(
        id=row.id,
        image_id=row.image_id,
        path=absolute_path(row.folder_path, row.rel_path),
        priority=row.priority,
        annotate=bool(row.annotate),
        attempts=row.attempts,
        quick=quick,
        width=row.width,
        height=row.height,
    )


def _end_job(session: Session, image_id: int, status: ImageStatus, reason: str | None) -> None:
    session.execute(delete(JobOrm).where(JobOrm.image_id == image_id))
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id == image_id)
        .values(status=status.value, failure_reason=reason)
    )


def _job_ended_meanwhile(session: Session, job: Job) -> bool:
    """True when the claimed job is gone: its file was deleted, replaced by an unscorable one,
    its folder removed or the image purged. Whoever removed it set the image's status."""
    if session.scalar(select(JobOrm.id).where(JobOrm.image_id == job.image_id)) is not None:
        return False
    log.info("the job of %s ended while it was being scored; its outcome is dropped", job.path)
    return True


def store_assessment(
    db: Database, job: Job, assessment: Assessment, *, owe_sidecar: bool = False
) -> bool:
    """Store the result, make it the image's current assessment (unless a better one is) and
    finish the job, atomically; a quick pass instead queues the job for its full pass. With
    `owe_sidecar` the XMP sidecar owes the scores from the same transaction on, so a crash
    right after the commit cannot leave them unwritten.

    False, storing nothing, when the job ended while the image was being scored."""
    with db.write() as session:
        if _job_ended_meanwhile(session, job):
            return False
        assessment_id = upsert_assessment(session, job.image_id, assessment)
        # A forced job distrusts what the image has: a result of the file's old content may
        # have been stored while this one waited. Its quick score then replaces any score.
        forced = session.scalar(select(JobOrm.force).where(JobOrm.image_id == job.image_id))
        make_current(session, job.image_id, assessment_id, replace_any=bool(forced))
        if assessment.embedding is not None:  # for culling's scenes (library/groups.py)
            store_embedding(session, job.image_id, assessment.model.key, assessment.embedding)
        # Only the claimed job moves on: one re-queued meanwhile (the file changed) stays queued.
        claimed = and_(JobOrm.image_id == job.image_id, JobOrm.state == RUNNING)
        if job.quick:
            session.execute(
                update(JobOrm)
                .where(claimed)
                .values(
                    state=QUEUED,
                    awaiting_full=True,
                    quick_overall=float(assessment.overall),
                    attempts=0,
                    not_before=0.0,
                    last_error=None,
                )
            )
        else:
            session.execute(delete(JobOrm).where(claimed))
        session.execute(
            update(ImageOrm)
            .where(ImageOrm.id == job.image_id)
            .values(status=ImageStatus.SCORED.value, failure_reason=None)
        )
        if owe_sidecar:
            mark_pending(session, [job.image_id])
        return True


def fail_job(db: Database, job: Job, reason: str, *, permanent: bool) -> None:
    """Permanent: FAILED now. Transient: retry with exponential backoff, FAILED after MAX_ATTEMPTS."""
    with db.write() as session:
        if _job_ended_meanwhile(session, job):
            return
        row = session.execute(select(JobOrm).where(JobOrm.image_id == job.image_id)).scalar_one()
        if row.state != RUNNING:
            # Re-queued while it was tried (the file changed): the failure was the old
            # content's, e.g. a half-copied file; the new content gets its own attempts.
            log.info("%s changed while it was tried; queued again: %s", job.path, reason)
            return
        attempts = row.attempts + 1
        if permanent or attempts >= MAX_ATTEMPTS:
            if not permanent:
                reason = f"{reason} (gave up after {attempts} attempts)"
            _end_failed(session, job.image_id, reason)
            return
        row.state = QUEUED
        row.attempts = attempts
        row.last_error = reason
        row.not_before = time.time() + BACKOFF_BASE_S * 2 ** (attempts - 1)
        _set_waiting(session, [job.image_id])


def _end_failed(session: Session, image_id: int, reason: str) -> None:
    """End a job that failed for good. A photo that has a score keeps it, SCORED, with the
    reason recorded: the full pass failing must not hide the quick score it already has."""
    current_tiles = session.execute(
        select(ImageOrm.current_assessment_id, ImageOrm.max_tiles).where(ImageOrm.id == image_id)
    ).one()
    if current_tiles.current_assessment_id is None:
        _end_job(session, image_id, ImageStatus.FAILED, reason)
    elif current_tiles.max_tiles is not None and current_tiles.max_tiles <= QUICK_MAX_TILES:
        _end_job(session, image_id, ImageStatus.SCORED, f"no full score: {reason}")
    else:
        _end_job(session, image_id, ImageStatus.SCORED, f"scoring again failed: {reason}")


def _set_waiting(session: Session, image_ids: Sequence[int]) -> None:
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id.in_(list(image_ids)), ImageOrm.status == ImageStatus.SCORING.value)
        .values(status=WAITING_STATUS)
    )


def release_jobs(db: Database, jobs: Sequence[Job]) -> None:
    """Return claimed jobs to the queue untouched (no attempt counted)."""
    image_ids = [job.image_id for job in jobs]
    if not image_ids:
        return
    with db.write() as session:
        session.execute(
            update(JobOrm)
            .where(JobOrm.image_id.in_(image_ids), JobOrm.state == RUNNING)
            .values(state=QUEUED)
        )
        _set_waiting(session, image_ids)


def requeue_interrupted(db: Database) -> int:
    """Jobs left running by a crash go back to the queue; returns how many."""
    with db.write() as session:
        image_ids = session.scalars(select(JobOrm.image_id).where(JobOrm.state == RUNNING)).all()
        if image_ids:
            session.execute(update(JobOrm).where(JobOrm.state == RUNNING).values(state=QUEUED))
            _set_waiting(session, image_ids)
        return len(image_ids)


def queue_counts(db: Database) -> QueueCounts:
    """Jobs queued and running (and how many of them are past or before their quick pass),
    images scored and failed."""
    explicit = JobOrm.priority >= EXPLICIT_PRIORITY
    with db.read() as session:
        groups = session.execute(
            select(JobOrm.state, JobOrm.awaiting_full, explicit, func.count()).group_by(
                JobOrm.state, JobOrm.awaiting_full, explicit
            )
        ).all()
        images = dict(
            session.execute(
                select(ImageOrm.status, func.count())
                .where(ImageOrm.status.in_([ImageStatus.SCORED.value, ImageStatus.FAILED.value]))
                .group_by(ImageOrm.status)
            ).all()
        )
    by_state = {QUEUED: 0, RUNNING: 0}
    for state, _awaiting, _explicit, count in groups:
        by_state[state] = by_state.get(state, 0) + count
    return QueueCounts(
        queued=by_state[QUEUED],
        running=by_state[RUNNING],
        scored=images.get(ImageStatus.SCORED.value, 0),
        failed=images.get(ImageStatus.FAILED.value, 0),
        awaiting_full=sum(n for _s, awaiting, _e, n in groups if awaiting),
        quick_pending=sum(
            n for _s, awaiting, explicit_, n in groups if not (awaiting or explicit_)
        ),
    )
