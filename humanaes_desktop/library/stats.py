"""Summary numbers for `humanaes library status`: assessments, throughput, models used, and how
many scores are quick and how many full."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from humanaes_desktop.engine.profiles import QUICK_MAX_TILES, ProfileKind
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.schema import AssessmentOrm, ImageOrm


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
    # Stored assessments per profile kind, and the kind of the score each image shows.
    assessments_by_kind: dict[ProfileKind, int] = field(default_factory=dict)
    shown_by_kind: dict[ProfileKind, int] = field(default_factory=dict)

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
        stored = _count_by_kind(session, AssessmentOrm.max_tiles)
        shown = _count_by_kind(session, ImageOrm.max_tiles, ImageOrm.overall.is_not(None))
    usage = tuple(ModelUsage(r, rev, bool(s), n) for r, rev, s, n in models)
    return LibraryStats(count, first, last, usage, stored, shown)


def _count_by_kind(session, max_tiles, *where) -> dict[ProfileKind, int]:
    kind = case(
        (max_tiles <= QUICK_MAX_TILES, ProfileKind.QUICK.value), else_=ProfileKind.FULL.value
    )
    rows = session.execute(
        select(kind, func.count()).where(max_tiles.is_not(None), *where).group_by(kind)
    ).all()
    counts = {k: 0 for k in ProfileKind}
    counts.update({ProfileKind(k): n for k, n in rows})
    return counts
