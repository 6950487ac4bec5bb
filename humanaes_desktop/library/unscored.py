"""Which photos still lack an assessment by a given model and profile (for a cluster manifest)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import AssessmentOrm, FolderOrm, ImageOrm

# Files that are gone or that cannot be decoded at all are not worth a cluster's time.
_NOT_SCORABLE = (ImageStatus.MISSING.value, ImageStatus.UNSUPPORTED.value)
_PAGE = 5000


@dataclass(frozen=True)
class UnscoredImage:
    path: str  # absolute path as the library knows it
    size: int
    fingerprint: str


def _has_assessment(model_key: str, profile_key: str):
    return exists().where(
        and_(
            AssessmentOrm.image_id == ImageOrm.id,
            AssessmentOrm.model_key == model_key,
            AssessmentOrm.profile_key == profile_key,
        )
    )


def unscored_images(db: Database, model_key: str, profile_key: str) -> Iterator[UnscoredImage]:
    """Present, scorable images with a fingerprint and no assessment by this model + profile,
    in id order, one short read session per page (a 500k library never sits in memory)."""
    last_id = 0
    while True:
        with db.read() as session:
            page = session.execute(
                select(ImageOrm.id, FolderOrm.path, ImageOrm.rel_path, ImageOrm.size)
                .add_columns(ImageOrm.fingerprint)
                .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
                .where(
                    ImageOrm.id > last_id,
                    ImageOrm.fingerprint.is_not(None),
                    ImageOrm.status.not_in(_NOT_SCORABLE),
                    ~_has_assessment(model_key, profile_key),
                )
                .order_by(ImageOrm.id)
                .limit(_PAGE)
            ).all()
        if not page:
            return
        for image_id, folder, rel_path, size, print_ in page:
            yield UnscoredImage(absolute_path(folder, rel_path), size, print_)
            last_id = image_id


def assessed_fingerprints(db: Database, model_key: str, profile_key: str) -> set[str]:
    """Fingerprints of every image that has an assessment by this model + profile."""
    with db.read() as session:
        return set(
            session.scalars(
                select(ImageOrm.fingerprint)
                .where(ImageOrm.fingerprint.is_not(None), _has_assessment(model_key, profile_key))
                .distinct()
            )
        )


def count_without_fingerprint(db: Database) -> int:
    """Present images whose content could not be read when they were scanned (no fingerprint)."""
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ImageOrm)
                .where(ImageOrm.fingerprint.is_(None), ImageOrm.status.not_in(_NOT_SCORABLE))
            )
            or 0
        )
