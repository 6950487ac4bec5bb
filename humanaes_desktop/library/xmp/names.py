"""Which sidecar files belong to a photo, and what a new one is called.

Two spellings are in use: `IMG_1234.CR2.xmp` (darktable, digiKam, Immich; our default) and
`IMG_1234.xmp` (Lightroom, Capture One, Bridge). Both are found, `.xmp` in any case. A
`IMG_1234.xmp` shared by a RAW+JPEG pair belongs to the RAW, as in Lightroom. darktable's
duplicates (`IMG_1234_01.CR2.xmp`, the second version of `IMG_1234.CR2`) are never touched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from humanaes_desktop.engine.images.raw_preview import RAW_SUFFIXES as _DECODED_RAW
from humanaes_desktop.library.formats import is_candidate_path
from humanaes_desktop.library.xmp.records import NAMING_CHOICES

TEMP_SUFFIX = (
    ".humanaes-tmp"  # the atomic writer's temporary files: ".IMG.CR2.xmp.xxxx.humanaes-tmp"
)
RAW_SUFFIXES = _DECODED_RAW | {".x3f", ".3fr", ".iiq", ".rwl", ".srf", ".mrw", ".kdc"}
_DUPLICATE = re.compile(r"^(?P<stem>.+)_(?P<number>\d{2,})$")


@dataclass
class Listing:
    """One directory's entries, listed once and looked up without regard to case."""

    directory: str
    _by_lower: dict[str, list[str]] = field(default_factory=dict)
    _by_stem: dict[str, list[str]] = field(default_factory=dict)
    _sidecar_bases: set[str] = field(default_factory=set)  # "img.cr2" for "IMG.CR2.xmp"

    @classmethod
    def of(cls, directory: str) -> Listing:
        """List `directory` now (an unreadable one lists as empty)."""
        try:
            names = os.listdir(directory)
        except OSError:
            names = []
        return cls.from_names(directory, names)

    @classmethod
    def from_names(cls, directory: str, names: list[str]) -> Listing:
        listing = cls(directory)
        for name in names:
            lowered = name.lower()
            listing._by_lower.setdefault(lowered, []).append(name)
            if lowered.endswith(".xmp"):
                listing._sidecar_bases.add(lowered[:-4])
        return listing

    def named(self, name: str) -> list[str]:
        """Entries whose name equals `name` ignoring case, sorted."""
        return sorted(self._by_lower.get(name.lower(), []))

    def photos_with_stem(self, stem: str) -> list[str]:
        """Photo files of this directory whose name without extension is `stem` (any case)."""
        if not self._by_stem:  # built on first use: only a `stem.xmp` sidecar needs it
            for names in self._by_lower.values():
                for name in names:
                    self._by_stem.setdefault(os.path.splitext(name.lower())[0], []).append(name)
        return sorted(n for n in self._by_stem.get(stem.lower(), []) if is_candidate_path(n))

    def has_sidecars(self) -> bool:
        """True if any entry ends in .xmp (most photo folders have none: nothing to check)."""
        return bool(self._sidecar_bases)

    def may_have_sidecar(self, photo_name: str) -> bool:
        """False when no sidecar name here could belong to `photo_name` (one set lookup)."""
        lowered = photo_name.lower()
        bases = self._sidecar_bases
        return bool(bases) and (lowered in bases or lowered.rpartition(".")[0] in bases)


def is_raw(name: str) -> bool:
    """True for camera RAW file names."""
    return os.path.splitext(name)[1].lower() in RAW_SUFFIXES


def short_form_owner(listing: Listing, stem: str) -> str | None:
    """The photo a `stem.xmp` belongs to: the only photo with that stem, or its RAW one when a
    RAW+JPEG pair shares it; None when several non-RAW photos share the stem (ambiguous)."""
    photos = listing.photos_with_stem(stem)
    raws = [p for p in photos if is_raw(p)]
    if raws:
        return raws[0]
    return photos[0] if len(photos) == 1 else None


def is_darktable_duplicate(listing: Listing, photo_name: str) -> bool:
    """True if `photo_name.xmp` could be darktable's duplicate of another photo here
    (`IMG_1234_01.CR2` beside `IMG_1234.CR2`): such a sidecar is never ours to touch."""
    stem, ext = os.path.splitext(photo_name)
    match = _DUPLICATE.match(stem)
    return bool(match and listing.named(match.group("stem") + ext))


def find_sidecars(photo_path: str, listing: Listing | None = None) -> list[str]:
    """The existing sidecars of a photo, `name.ext.xmp` forms first."""
    directory, name = os.path.split(photo_path)
    listing = listing or Listing.of(directory)
    stem = os.path.splitext(name)[0]
    found: list[str] = []
    if not is_darktable_duplicate(listing, name):
        found += listing.named(name + ".xmp")
    if listing.named(stem + ".xmp") and short_form_owner(listing, stem) == name:
        found += [n for n in listing.named(stem + ".xmp") if n not in found]
    return [os.path.join(directory, n) for n in found]


def new_sidecar_paths(photo_path: str, naming: str, listing: Listing | None = None) -> list[str]:
    """Where new sidecars of a photo go under the naming setting (when none exists yet).

    In `name.xmp` mode a photo that does not own its stem (the JPEG of a RAW+JPEG pair) gets a
    `name.ext.xmp` instead, so its rating is not lost and never lands on the RAW's file.
    """
    if naming not in NAMING_CHOICES:
        raise ValueError(f"unknown sidecar naming {naming!r}; expected one of {NAMING_CHOICES}")
    directory, name = os.path.split(photo_path)
    listing = listing or Listing.of(directory)
    stem = os.path.splitext(name)[0]
    full = [] if is_darktable_duplicate(listing, name) else [name + ".xmp"]
    owns_short = short_form_owner(listing, stem) == name
    if naming == "name.ext.xmp" or not owns_short:
        names = full
    elif naming == "name.xmp":
        names = [stem + ".xmp"]
    else:
        names = [*full, stem + ".xmp"]
    return [os.path.join(directory, n) for n in names]


class Listings:
    """Directory listings shared by the photos of one batch (one listdir per folder).

    A batch's own writes only ever add sidecars of the photo being synced, which that photo
    does not look up again; anything else that appears meanwhile makes the atomic write fail
    its check, and the retry lists the folder afresh (`forget`).
    """

    def __init__(self) -> None:
        self._cache: dict[str, Listing] = {}

    def of(self, directory: str) -> Listing:
        listing = self._cache.get(directory)
        if listing is None:
            listing = self._cache[directory] = Listing.of(directory)
            remove_stale_temps(listing)
        return listing

    def forget(self, directory: str) -> None:
        self._cache.pop(directory, None)


def remove_stale_temps(listing: Listing) -> None:
    """Delete temporary files an interrupted write left in this folder (a crash between the
    temporary file and the rename); recent ones may belong to a write in progress."""
    from humanaes_desktop.library.xmp.atomic import remove_stale_temp

    for names in listing._by_lower.values():
        for name in names:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                remove_stale_temp(os.path.join(listing.directory, name))
