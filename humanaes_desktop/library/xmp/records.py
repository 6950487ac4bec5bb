"""Frozen records of the sidecar sync that leave the library (the UI imports this module: it
has no SQLAlchemy or lxml import)."""

from __future__ import annotations

from dataclasses import dataclass

NAMING_CHOICES: tuple[str, ...] = ("name.ext.xmp", "name.xmp", "both")
DEFAULT_NAMING = "name.ext.xmp"
POLICIES: tuple[str, ...] = ("ask", "app", "file", "newest")
RESOLUTIONS: tuple[str, ...] = ("app", "file", "newest")
RATING_FIELDS: tuple[str, ...] = ("stars", "flag", "color")


@dataclass(frozen=True)
class XmpSettings:
    """What the sidecar sync does for this library (stored in the library itself)."""

    enabled: bool = True  # ratings, picks and labels are written to and read from sidecars
    write_scores: bool = False  # also the model's scores, in our own namespace
    write_synthetic: bool = False  # scores of a synthetic model too (marked synthetic)
    naming: str = DEFAULT_NAMING  # for new sidecars: "name.ext.xmp", "name.xmp" or "both"
    reject_as_minus_one: bool = True  # rejected photos get xmp:Rating -1 (darktable, Immich)
    digikam: bool = True  # write digiKam:PickLabel for picks and rejects
    conflict_policy: str = "ask"  # "ask" (list it), "app", "file" or "newest"


@dataclass(frozen=True)
class Conflict:
    """A field changed in the app and in a sidecar since the last sync."""

    image_id: int
    path: str  # the photo
    field: str  # "stars", "flag" or "color"
    app_value: str  # stars "0".."5", flag "-1"/"0"/"1", colour name or ""
    file_value: str
    sidecar_path: str
    file_mtime: float | None
    app_changed_at: float | None


@dataclass(frozen=True)
class SyncResult:
    """What one sync of one photo did."""

    image_id: int
    imported: tuple[str, ...] = ()  # fields taken from the file
    written: tuple[str, ...] = ()  # sidecar paths written
    conflicts: tuple[str, ...] = ()  # fields left in conflict
    error: str | None = None


@dataclass(frozen=True)
class SidecarProblem:
    """A photo whose sidecar could not be read or written."""

    image_id: int
    path: str
    error: str


@dataclass(frozen=True)
class SyncStatus:
    """The sync at a glance (`humanaes library xmp status`, the status bar)."""

    settings: XmpSettings
    pending: int
    sidecars: int
    conflicts: int
    errors: int


@dataclass(frozen=True)
class PhotoSidecars:
    """One photo's sidecar state, for the detail panel."""

    paths: tuple[str, ...]
    pending: bool
    error: str | None
    conflicts: tuple[Conflict, ...]
