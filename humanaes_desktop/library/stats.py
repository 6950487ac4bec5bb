"""Summary numbers for `humanaes library status`: assessments, throughput, models used."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.schema import AssessmentOrm


@dataclass(frozen=True)
class ModelUsage:
    repo: str
    revision: str
    synthetic: bool
    assessments: int


@dataclass(frozen=True)
class LibraryStats:
    assessments: int
    first_at: float | None  # created_at of the oldest assessment
    last_at: float | None
    models: tuple[ModelUsage, ...]

    @property
    def per_hour(self) -> float | None:
        """Assessments per hour over the span they were made in (None below two)."""
        if self.assessments < 2 or not self.first_at or not self.last_at:
            return None
        span = self.last_at - self.first_at
        return (self.assessments - 1) * 3600.0 / span if span > 0 else None


def library_stats(db: Database) -> LibraryStats:
    """Counts and time span of all stored assessments, per model."""
    with db.read() as session:
        count, first, last = session.execute(
            select(
                func.count(), func.min(AssessmentOrm.created_at), func.max(AssessmentOrm.created_at)
            )
        ).one()
        models = session.execute(
            select(
                AssessmentOrm.repo, AssessmentOrm.revision, AssessmentOrm.synthetic, func.count()
            )
            .group_by(AssessmentOrm.repo, AssessmentOrm.revision, AssessmentOrm.synthetic)
            .order_by(func.count().desc())
        ).all()
    usage = tuple(ModelUsage(r, rev, bool(s), n) for r, rev, s, n in models)
    return LibraryStats(count, first, last, usage)
