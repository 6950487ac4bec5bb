"""The persistent job queue (the JobStore protocol of pipeline/contracts.py).

A job row exists while an image waits for (or is in) scoring; finished jobs are deleted. The
image's status mirrors it: QUEUED/SCORING while a job exists (SCORED stays while an already
scored image waits for a re-score), SCORED or FAILED once it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, case, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.library.assessments import make_current, upsert_assessment
from humanaes_desktop.library.db import Database, rows_affected
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.records import ImageStatus, Job, QueueCounts
from humanaes_desktop.library.schema import AssessmentOrm, FolderOrm, ImageOrm, JobOrm

log = logging.getLogger(__name__)

EXPLICIT_PRIORITY = 100  # a user asked for this image (the GUI's selection)
SCAN_PRIORITY = 0
MAX_ATTEMPTS = 4  # transient failures before an image is given up as FAILED
BACKOFF_BASE_S = 5.0  # first retry after 5 s, then 10 s, 20 s …

QUEUED, RUNNING = "queued", "running"

# What an image waiting in the queue shows: its old scores stay visible during a re-score.
_WAITING_STATUS = case(
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
        .values(status=_WAITING_STATUS, failure_reason=None)
    )


def drop_jobs(session: Session, image_ids: Sequence[int]) -> None:
    """Forget the jobs of images that can no longer be scored (missing, unsupported, failed)."""
    if image_ids:
        session.execute(delete(JobOrm).where(JobOrm.image_id.in_(list(image_ids))))


def claim_jobs(db: Database, limit: int, model_key: str, profile_key: str) -> list[Job]:
    """Move up to `limit` due jobs to running, best first; finish those already satisfied."""
    claimed: list[Job] = []
    with db.write() as session:
        while len(claimed) < limit:
            candidates = _due_jobs(session, (limit - len(claimed)) * 2)
            if not candidates:
                break
            done = _existing_assessments(session, candidates, model_key, profile_key)
            for row in candidates:
                if row.image_id in done and not row.force:
                    _finish_satisfied(session, row, done[row.image_id])
                elif len(claimed) < limit:
                    claimed.append(_start(session, row))
    return claimed


def _due_jobs(session: Session, limit: int) -> Sequence[Any]:
    return session.execute(
        select(
            JobOrm.id,
            JobOrm.image_id,
            JobOrm.priority,
            JobOrm.annotate,
            JobOrm.force,
            JobOrm.attempts,
            ImageOrm.rel_path,
            FolderOrm.path.label("folder_path"),
        )
        .join(ImageOrm, ImageOrm.id == JobOrm.image_id)
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .where(JobOrm.state == QUEUED, JobOrm.not_before <= time.time())
        .order_by(JobOrm.priority.desc(), JobOrm.file_mtime.desc(), JobOrm.id)
        .limit(limit)
    ).all()


def _existing_assessments(session: Session, rows, model_key: str, profile_key: str) -> dict:
    found = session.execute(
        select(AssessmentOrm.image_id, AssessmentOrm.id).where(
            AssessmentOrm.image_id.in_([r.image_id for r in rows]),
            AssessmentOrm.model_key == model_key,
            AssessmentOrm.profile_key == profile_key,
        )
    ).all()
    return dict(found)


def _finish_satisfied(session: Session, row, assessment_id: int) -> None:
    make_current(session, row.image_id, assessment_id)
    _end_job(session, row.image_id, ImageStatus.SCORED, None)


def _start(session: Session, row) -> Job:
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


def store_assessment(db: Database, job: Job, assessment: Assessment) -> bool:
    """Store the result, make it the image's current assessment and finish the job, atomically.

    False, storing nothing, when the job ended while the image was being scored."""
    with db.write() as session:
        if _job_ended_meanwhile(session, job):
            return False
        assessment_id = upsert_assessment(session, job.image_id, assessment)
        make_current(session, job.image_id, assessment_id)
        # Only the claimed job ends: one re-queued meanwhile (the file changed) stays queued.
        session.execute(
            delete(JobOrm).where(JobOrm.image_id == job.image_id, JobOrm.state == RUNNING)
        )
        session.execute(
            update(ImageOrm)
            .where(ImageOrm.id == job.image_id)
            .values(status=ImageStatus.SCORED.value, failure_reason=None)
        )
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
            _end_job(session, job.image_id, ImageStatus.FAILED, reason)
            return
        row.state = QUEUED
        row.attempts = attempts
        row.last_error = reason
        row.not_before = time.time() + BACKOFF_BASE_S * 2 ** (attempts - 1)
        _set_waiting(session, [job.image_id])


def _set_waiting(session: Session, image_ids: Sequence[int]) -> None:
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id.in_(list(image_ids)), ImageOrm.status == ImageStatus.SCORING.value)
        .values(status=_WAITING_STATUS)
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
    """Jobs queued and running, images scored and failed."""
    with db.read() as session:
        jobs = dict(
            session.execute(select(JobOrm.state, func.count()).group_by(JobOrm.state)).all()
        )
        images = dict(
            session.execute(
                select(ImageOrm.status, func.count())
                .where(ImageOrm.status.in_([ImageStatus.SCORED.value, ImageStatus.FAILED.value]))
                .group_by(ImageOrm.status)
            ).all()
        )
    return QueueCounts(
        queued=jobs.get(QUEUED, 0),
        running=jobs.get(RUNNING, 0),
        scored=images.get(ImageStatus.SCORED.value, 0),
        failed=images.get(ImageStatus.FAILED.value, 0),
    )


_UNSCORABLE = (ImageStatus.MISSING.value, ImageStatus.UNSUPPORTED.value)


def request_assessment(db: Database, image_id: int, *, annotate: bool = False) -> bool:
    """Put one image at the head of the queue; False if it cannot be scored."""
    return bool(request_assessments(db, [image_id], annotate=annotate))


# Host parameters per statement: SQLite before 3.32 allows 999.
_CHUNK = 500


def request_assessments(
    db: Database, image_ids: Sequence[int], *, annotate: bool = False
) -> list[int]:
    """Put images at the head of the queue (a user asked for them), in one transaction.

    Returns the ids now waiting for the model or in it, in the order given; unknown, missing
    and unsupported images are left out. With `annotate`, an image is re-scored if its current
    assessment has no annotation text. A FAILED image is retried: the user asked explicitly.
    """
    wanted = list(dict.fromkeys(image_ids))
    accepted: set[int] = set()
    with db.write() as session:
        for start in range(0, len(wanted), _CHUNK):
            rows = _requestable(session, wanted[start : start + _CHUNK])
            if rows:
                _upsert_requested_jobs(session, rows, annotate)
                waiting = [r.id for r in rows if r.job_state != RUNNING]
                session.execute(
                    update(ImageOrm)
                    .where(ImageOrm.id.in_(waiting))
                    .values(status=_WAITING_STATUS, failure_reason=None)
                )
                accepted.update(r.id for r in rows)
    return [image_id for image_id in wanted if image_id in accepted]


def _requestable(session: Session, image_ids: list[int]) -> Sequence[Row]:
    """Scorable images among `image_ids`, with their job's state and annotation presence."""
    annotated = exists().where(
        AssessmentOrm.id == ImageOrm.current_assessment_id,
        AssessmentOrm.annotation.is_not(None),
        AssessmentOrm.annotation != "",
    )
    return session.execute(
        select(
            ImageOrm.id,
            ImageOrm.mtime,
            annotated.label("annotated"),
            JobOrm.state.label("job_state"),
        )
        .outerjoin(JobOrm, JobOrm.image_id == ImageOrm.id)
        .where(ImageOrm.id.in_(image_ids), ImageOrm.status.not_in(_UNSCORABLE))
    ).all()


def _upsert_requested_jobs(session: Session, rows: Sequence[Row], annotate: bool) -> None:
    statement = sqlite_insert(JobOrm)
    new = statement.excluded
    # The model is scoring it without annotation right now: queue it again, so the annotation
    # follows once that result is stored (which ends only the running claim).
    rerun = and_(JobOrm.state == RUNNING, new.annotate, ~JobOrm.annotate)
    statement = statement.on_conflict_do_update(
        index_elements=[JobOrm.image_id],
        set_={
            "priority": EXPLICIT_PRIORITY,
            "annotate": or_(JobOrm.annotate, new.annotate),
            "force": or_(JobOrm.force, new.force, rerun),
            "state": case((rerun, QUEUED), else_=JobOrm.state),
            "not_before": 0.0,
        },
    )
    session.execute(
        statement,
        [
            {
                "image_id": row.id,
                "file_mtime": row.mtime,
                "priority": EXPLICIT_PRIORITY,
                "annotate": annotate,
                "force": annotate and not row.annotated,
                "state": QUEUED,
                "attempts": 0,
                "not_before": 0.0,
            }
            for row in rows
        ],
    )


def queue_rescore(db: Database, model_key: str, profile_key: str) -> int:
    """Queue every scored image that has no assessment by this model+profile; returns how many.

    The old assessments stay current until the new ones are stored.
    """
    lacks_assessment = ~exists().where(
        and_(
            AssessmentOrm.image_id == ImageOrm.id,
            AssessmentOrm.model_key == model_key,
            AssessmentOrm.profile_key == profile_key,
        )
    )
    has_job = exists().where(JobOrm.image_id == ImageOrm.id)
    source = select(ImageOrm.id, ImageOrm.mtime, literal(SCAN_PRIORITY)).where(
        ImageOrm.status == ImageStatus.SCORED.value, lacks_assessment, ~has_job
    )
    with db.write() as session:
        result = session.execute(
            insert(JobOrm).from_select(["image_id", "file_mtime", "priority"], source)
        )
        return rows_affected(result)
