"""Frozen records the data layer hands out. ORM objects never leave `library/`.

These types are the contract between the library, the scoring worker and the UI; the UI imports
this module (it has no SQLAlchemy import) but never the ORM modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.engine.profiles import ProfileKind


class ImageStatus(str, Enum):
    """Where an image stands. The library never writes NEW: a scorable file is recorded and
    queued in one transaction (QUEUED), so no image is ever seen without being queued. NEW stays
    in the enum (and in "unscored" filters) only so that such a filter keeps its meaning if a
    later version records files before queueing them; `status_counts` reports it as 0."""

    NEW = "new"  # reserved: never written by this version (see above)
    QUEUED = "queued"
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"  # permanent failure; failure_reason says why
    MISSING = "missing"  # file gone (deleted, or its drive unmounted); scores and ratings kept
    UNSUPPORTED = "unsupported"  # a format we recognise but cannot decode (reason says which)


class Flag(int, Enum):
    REJECTED = -1
    NONE = 0
    PICKED = 1


@dataclass(frozen=True)
class FolderRecord:
    id: int
    path: str  # absolute, as the user added it
    available: bool  # False while the folder is gone (unmounted drive)
    image_count: int = 0


@dataclass(frozen=True)
class Rating:
    stars: int = 0  # 0..5
    flag: Flag = Flag.NONE
    color: str | None = None  # "red", "yellow", "green", "blue", "purple" or None


MARKS: tuple[str, ...] = ("soft", "eyes_closed", "clipped", "faces", "no_faces")


@dataclass(frozen=True)
class CullingMarks:
    """What the first pass and grouping say about a photo (badges, stacks), before any model."""

    soft: bool = False
    eyes_closed: bool = False
    clipped: bool = False
    face_count: int = 0
    group_key: int | None = None  # image id of the first frame of its burst or set
    group_kind: str | None = None  # "burst", "bracket", "focus_stack", "panorama"
    group_size: int = 1
    is_pick: bool = False  # the suggested frame of its burst
    reasons: tuple[str, ...] = ()  # keys of engine.culling.best.REASON_TEXT

    def badges(self) -> tuple[str, ...]:
        """Short words for a thumbnail."""
        out = [
            name
            for name, on in (
                ("soft", self.soft),
                ("eyes closed", self.eyes_closed),
                ("clipped", self.clipped),
            )
            if on
        ]
        if self.face_count:
            out.append(f"{self.face_count} face{'s' if self.face_count > 1 else ''}")
        return tuple(out)


@dataclass(frozen=True)
class ImageRow:
    """One gallery row: what a thumbnail cell or table row shows. Cheap to build in bulk."""

    id: int
    folder_id: int
    path: str  # absolute path
    file_name: str
    status: ImageStatus
    failure_reason: str | None
    size: int
    mtime: float
    width: int | None
    height: int | None
    captured_at: float | None  # EXIF capture time as a POSIX timestamp, if known
    overall: float | None  # MetaVoter score of the current assessment
    level: str | None
    dimensions: dict[str, float] | None  # the 12 values of the current assessment
    synthetic: bool | None  # True when the current assessment came from a synthetic model
    rating: Rating = field(default_factory=Rating)
    max_tiles: int | None = None  # of the current assessment: 1 quick, more full
    culling: CullingMarks | None = None  # None until the first pass has run

    @property
    def profile_kind(self) -> ProfileKind | None:
        """Whether the score shown is the quick or the full one (None: not scored)."""
        if self.overall is None or self.max_tiles is None:
            return None
        return ProfileKind.of(self.max_tiles)


@dataclass(frozen=True)
class ImageDetail:
    """Everything the detail panel shows for one image."""

    row: ImageRow
    assessment: Assessment | None  # the current assessment (the best one available)
    assessed_at: float | None = None
    full_pending: bool = False  # its quick score is stored and the full pass is queued


@dataclass(frozen=True)
class GalleryQuery:
    """Sort and filter for the gallery; executed in SQL, never on 100k Python objects."""

    sort_key: str = "overall"  # "overall", "fast_score", any DIMENSION_KEYS, "file_name",
    # "captured_at", "mtime", "stars", "level", "status"
    descending: bool = True
    folder_id: int | None = None
    levels: frozenset[str] = frozenset()  # empty: any
    min_overall: float | None = None
    flags: frozenset[Flag] = frozenset()  # empty: any
    min_stars: int = 0
    statuses: frozenset[ImageStatus] = frozenset()  # empty: any except MISSING
    text: str = ""  # substring of the file name, case-insensitive
    marks: frozenset[str] = frozenset()  # culling marks that must all hold (MARKS)
    best_of_bursts: bool = False  # of each burst only its suggested frame


@dataclass(frozen=True, eq=False)
class GalleryIds:
    """A gallery query's answer: ids in display order (an array: a million of them are 8 MB,
    not 30 as a list), and whether that is all of them or only a first page."""

    ids: np.ndarray
    complete: bool = True

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ProfileMix:
    """How the scores of one gallery list were made: what sorting it compares."""

    quick: int = 0  # photos showing a quick (one-tile) score
    full: int = 0  # photos showing a full score
    full_pending: int = 0  # of the quick ones, those whose full pass is queued

    @property
    def mixed(self) -> bool:
        """True when some scores in the list are quick ones."""
        return self.quick > 0


@dataclass(frozen=True)
class Job:
    """One queued unit of scoring work, as the worker sees it."""

    id: int
    image_id: int
    path: str  # absolute path of the image
    priority: int  # higher first
    annotate: bool  # also generate annotation text
    attempts: int
    quick: bool = False  # the quick pass of a "quick first" job: its full pass follows
    width: int | None = None  # upright size from the scan, when its header could be read
    height: int | None = None


@dataclass(frozen=True)
class QueueCounts:
    queued: int  # jobs waiting (either pass)
    running: int
    scored: int  # images
    failed: int
    awaiting_full: int = 0  # jobs (queued or running) whose quick pass is stored
    quick_pending: int = 0  # jobs a "quick first" worker starts with the quick pass


@dataclass(frozen=True)
class ScanReport:
    """What one scan (or one batch of watcher events) changed in the library."""

    added: int = 0
    changed: int = 0  # content changed: re-queued
    moved: int = 0  # found under a new path by fingerprint: scores and ratings kept
    missing: int = 0  # newly missing (deleted, or the folder is gone)
    unchanged: int = 0
    unsupported: int = 0  # newly recorded files of a format that cannot be scored
    restored: int = 0  # missing files that came back
    failed: int = 0  # header could not be read: FAILED with the reason
    ratings_imported: int = 0  # photos that took a rating, pick or label from a sidecar

    def __add__(self, other: ScanReport) -> ScanReport:
        names = self.__dataclass_fields__
        return ScanReport(**{n: getattr(self, n) + getattr(other, n) for n in names})

    def summary(self) -> str:
        """One line for people, e.g. "3 added, 1 moved, 120 unchanged"."""
        names = self.__dataclass_fields__
        parts = [f"{getattr(self, n)} {n}" for n in names if getattr(self, n)]
        return ", ".join(parts) if parts else "no files"
