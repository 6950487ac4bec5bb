"""Assessments that come from outside the job queue (an evaluation run, imported results).

The worker stores what it scores through a claimed job (jobs.py). Here an assessment made for a
known image is looked up or stored directly: it becomes the image's current one, and a queued
(not running) job of that image ends, since the image has just been scored. A later model or
profile change re-queues it as usual (`queue_rescore`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy import delete, select, update

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.library.assessments import (
    assessment_from_row,
    make_current,
    upsert_assessment,
)
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import is_inside, relative_posix
from humanaes_desktop.library.jobs import RUNNING
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import AssessmentOrm, FolderOrm, ImageOrm, JobOrm
from humanaes_desktop.library.xmp.pending import mark_pending


def image_ids_at(db: Database, paths: Iterable[str | os.PathLike]) -> dict[str, int]:
    """Image ids of the files at these paths, keyed by the path as given, for the known ones."""
    # Folders are stored by their real path; the file's own name is kept (it may be a link).
    wanted = {_in_real_folder(p): os.fspath(p) for p in paths}
    with db.read() as session:
        folders = session.execute(select(FolderOrm.id, FolderOrm.path)).all()
        by_folder: dict[int, dict[str, str]] = {}
        for real, given in wanted.items():
            inside = [f for f in folders if is_inside(real, f.path)]
            if inside:
                owner = max(inside, key=lambda f: len(f.path))
                by_folder.setdefault(owner.id, {})[relative_posix(owner.path, real)] = given
        found: dict[str, int] = {}
        for folder_id, rel_paths in by_folder.items():
            names = list(rel_paths)
            for start in range(0, len(names), 500):  # SQLite's bound-parameter limit
                rows = session.execute(
                    select(ImageOrm.id, ImageOrm.rel_path).where(
                        ImageOrm.folder_id == folder_id,
                        ImageOrm.rel_path.in_(names[start : start + 500]),
                    )
                )
                found.update({rel_paths[r.rel_path]: r.id for r in rows})
    return found


def _in_real_folder(path: str | os.PathLike) -> str:
    absolute = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))


def stored_assessment(
    db: Database, image_id: int, model_key: str, profile_key: str
) -> Assessment | None:
    """The assessment this model + profile made of the image, if the library holds one."""
    with db.read() as session:
        row = session.scalars(
            select(AssessmentOrm).where(
                AssessmentOrm.image_id == image_id,
                AssessmentOrm.model_key == model_key,
                AssessmentOrm.profile_key == profile_key,
            )
        ).first()
        return None if row is None else assessment_from_row(row)


def record_assessment(
    db: Database, image_id: int, assessment: Assessment, *, owe_sidecar: bool = False
) -> None:
    """Store an assessment of a known image and make it current, in one transaction (with
    `owe_sidecar`, the XMP sidecar owes the new scores from that same transaction on)."""
    with db.write() as session:
        assessment_id = upsert_assessment(session, image_id, assessment)
        make_current(session, image_id, assessment_id)
        if owe_sidecar:
            mark_pending(session, [image_id])
        session.execute(delete(JobOrm).where(JobOrm.image_id == image_id, JobOrm.state != RUNNING))
        session.execute(
            update(ImageOrm)
            .where(ImageOrm.id == image_id)
            .values(status=ImageStatus.SCORED.value, failure_reason=None)
        )


def record_failure(db: Database, image_id: int, reason: str) -> None:
    """Mark a known image as one that cannot be scored (a permanent failure found outside the
    job queue); a rescan that sees the file change queues it again."""
    with db.write() as session:
        session.execute(delete(JobOrm).where(JobOrm.image_id == image_id, JobOrm.state != RUNNING))
        session.execute(
            update(ImageOrm)
            .where(ImageOrm.id == image_id)
            .values(status=ImageStatus.FAILED.value, failure_reason=reason)
        )
