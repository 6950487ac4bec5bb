"""Bringing assessments made elsewhere (a cluster job) into the library, idempotently.

Results are matched to images by content fingerprint, never by path (the cluster read the
files under other paths), and stored keyed by (image, model identity, profile) exactly like the
worker's own results, so importing the same results twice leaves the library as it was, and the
gallery shows them with the same provenance. An imported assessment becomes the image's current
one when it is newer than the current one (the rule the worker follows: newest wins). Ratings
are never touched. Results for content the library does not know are counted, never invented.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.library.assessments import make_current, upsert_assessment
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.groups import store_embedding
from humanaes_desktop.library.jobs import QUEUED
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import AssessmentOrm, ImageOrm, JobOrm
from humanaes_desktop.library.xmp.pending import mark_pending

_BATCH = 500
# Images in these states become SCORED once they have a score; a MISSING or UNSUPPORTED image
# keeps its status (the file is gone, or this machine cannot decode it) but gets the score.
_SETTLES = (
    ImageStatus.NEW.value,
    ImageStatus.QUEUED.value,
    ImageStatus.SCORED.value,
    ImageStatus.FAILED.value,
)


@dataclass(frozen=True)
class ImportedResult:
    """One assessment made elsewhere, for the content with this fingerprint."""

    fingerprint: str
    assessment: Assessment
    scored_at: float
    path: str = ""  # where it was read (for the report only)


@dataclass
class ImportReport:
    results: int = 0  # distinct (fingerprint, model, profile) results offered
    matched: int = 0  # of those, content the library knows
    images_updated: int = 0  # image rows given the assessment (copies count each)
    unknown: int = 0  # content the library does not know: nothing stored
    unknown_paths: list[str] = field(default_factory=list)  # a few, for the report
    made_current: list[int] = field(default_factory=list)  # images now showing an imported score


def _newest_per_key(results: Iterable[ImportedResult]) -> list[ImportedResult]:
    newest: dict[tuple[str, str, str], ImportedResult] = {}
    for result in results:
        key = (result.fingerprint, result.assessment.model.key, result.assessment.profile.key)
        if key not in newest or result.scored_at > newest[key].scored_at:
            newest[key] = result
    return list(newest.values())


def import_results(
    db: Database, results: Iterable[ImportedResult], *, owe_sidecars: bool = False
) -> ImportReport:
    """Store every result for the images with its fingerprint; see the module docstring.

    With `owe_sidecars`, the images whose current score changed owe their XMP sidecars the new
    scores, recorded in the same transaction as the scores (a crash cannot leave them unwritten).
    """
    unique = _newest_per_key(results)
    report = ImportReport(results=len(unique))
    for start in range(0, len(unique), _BATCH):
        batch = unique[start : start + _BATCH]
        current: list[int] = []
        with db.write() as session:
            images = _images_by_fingerprint(session, {r.fingerprint for r in batch})
            for result in batch:
                found = images.get(result.fingerprint, [])
                if not found:
                    report.unknown += 1
                    if len(report.unknown_paths) < 10:
                        report.unknown_paths.append(result.path or result.fingerprint)
                    continue
                report.matched += 1
                for image in found:
                    if _store(session, image, result):
                        current.append(image.id)
                    report.images_updated += 1
            if owe_sidecars and current:
                mark_pending(session, current)
        report.made_current.extend(current)
    return report


def _images_by_fingerprint(session: Session, prints: set[str]) -> dict[str, list]:
    rows = session.execute(
        select(ImageOrm.id, ImageOrm.fingerprint, ImageOrm.status, AssessmentOrm.created_at)
        .outerjoin(AssessmentOrm, AssessmentOrm.id == ImageOrm.current_assessment_id)
        .where(ImageOrm.fingerprint.in_(prints))
        .order_by(ImageOrm.id)
    ).all()
    found: dict[str, list] = {}
    for row in rows:
        found.setdefault(row.fingerprint, []).append(row)
    return found


def _store(session: Session, image, result: ImportedResult) -> bool:
    """Store one result; True when it became the image's current assessment."""
    assessment_id = upsert_assessment(session, image.id, result.assessment, result.scored_at)
    current_at = image.created_at
    made_current = current_at is None or current_at <= result.scored_at
    if made_current:
        make_current(session, image.id, assessment_id)
        if result.assessment.embedding is not None:  # culling's scenes, as local scoring keeps
            store_embedding(
                session, image.id, result.assessment.model.key, result.assessment.embedding
            )
    if image.status in _SETTLES:
        _settle(session, [image.id])
    return made_current


def _settle(session: Session, image_ids: Sequence[int]) -> None:
    """The image has a score now: a waiting (not running, not forced) job is done."""
    session.execute(
        delete(JobOrm).where(
            JobOrm.image_id.in_(image_ids), JobOrm.state == QUEUED, JobOrm.force.is_(False)
        )
    )
    waiting = select(JobOrm.image_id).where(JobOrm.image_id.in_(image_ids))
    session.execute(
        update(ImageOrm)
        .where(ImageOrm.id.in_(image_ids), ImageOrm.id.not_in(waiting))
        .values(status=ImageStatus.SCORED.value, failure_reason=None)
    )
