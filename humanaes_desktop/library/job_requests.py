"""Jobs asked for rather than found: a user's request (Ctrl+R, the selection), full passes owed
to quick scores, and re-scoring a library with another model or profile. They go into the same
queue as the scan's jobs (jobs.py) with their own priority."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, and_, case, exists, insert, literal, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from humanaes_desktop.engine.profiles import QUICK_MAX_TILES
from humanaes_desktop.library.db import Database, rows_affected
from humanaes_desktop.library.jobs import (
    EXPLICIT_PRIORITY,
    QUEUED,
    RUNNING,
    SCAN_PRIORITY,
    WAITING_STATUS,
)
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import AssessmentOrm, ImageOrm, JobOrm

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
                    .values(status=WAITING_STATUS, failure_reason=None)
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


def queue_upgrades(db: Database) -> int:
    """Queue the full pass of every scored image whose current score is a quick one and that has
    no job (scored in "quick only" mode, say); returns how many. Highest quick score first."""
    has_job = exists().where(JobOrm.image_id == ImageOrm.id)
    source = select(
        ImageOrm.id, ImageOrm.mtime, literal(SCAN_PRIORITY), literal(True), ImageOrm.overall
    ).where(
        ImageOrm.status == ImageStatus.SCORED.value,
        ImageOrm.max_tiles <= QUICK_MAX_TILES,
        ~has_job,
    )
    columns = ["image_id", "file_mtime", "priority", "awaiting_full", "quick_overall"]
    with db.write() as session:
        result = session.execute(insert(JobOrm).from_select(columns, source))
        return rows_affected(result)


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
