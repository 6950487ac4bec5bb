"""Reading back what other tools changed: at every scan and on watcher events.

A sidecar whose size or mtime differs from what was last read or written (or that appeared or
vanished) is read and merged; so is a JPEG whose embedded packet may have changed. Unchanged
photos cost a dictionary lookup (most folders have no sidecar at all: not even a stat).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path, is_inside, relative_posix
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import FolderOrm, ImageOrm, XmpSidecarOrm, XmpSyncOrm
from humanaes_desktop.library.xmp.atomic import Stamp, sha256
from humanaes_desktop.library.xmp.embedded import has_embedded_xmp_format, read_embedded_xmp
from humanaes_desktop.library.xmp.fields import read_packet
from humanaes_desktop.library.xmp.names import (
    Listing,
    Listings,
    find_sidecars,
    is_darktable_duplicate,
    short_form_owner,
)
from humanaes_desktop.library.xmp.packet import SidecarParseError, parse_packet
from humanaes_desktop.library.xmp.records import XmpSettings
from humanaes_desktop.library.xmp.state import Base, photo_stamp
from humanaes_desktop.library.xmp.sync import sync_image

log = logging.getLogger(__name__)

_MTIME_GRANULARITY_S = 2.0


@dataclass(frozen=True)
class ImportReport:
    """What reading back sidecars found."""

    checked: int = 0  # photos whose sidecars (or embedded packet) were read
    imported: int = 0  # photos that took at least one field from a file
    conflicts: int = 0  # photos with a field changed on both sides (left for the user)
    errors: int = 0  # photos whose sidecar could not be read

    def __add__(self, other: ImportReport) -> ImportReport:
        names = self.__dataclass_fields__
        return ImportReport(**{n: getattr(self, n) + getattr(other, n) for n in names})


@dataclass(frozen=True)
class _Photo:
    image_id: int
    path: str
    stamp: str | None  # size:mtime for photos with embedded XMP (JPEG), else None
    embedded_stamp: str | None
    synced_at: float | None


@dataclass(frozen=True)
class StoredStamp:
    stamp: Stamp
    sha256: str


def _stored_stamps(db: Database, condition) -> dict[int, dict[str, StoredStamp]]:
    stored: dict[int, dict[str, StoredStamp]] = {}
    with db.read() as session:
        rows = session.execute(
            select(
                XmpSidecarOrm.image_id,
                XmpSidecarOrm.path,
                XmpSidecarOrm.size,
                XmpSidecarOrm.mtime_ns,
                XmpSidecarOrm.sha256,
            )
            .join(ImageOrm, ImageOrm.id == XmpSidecarOrm.image_id)
            .where(condition)
        ).all()
    for image_id, path, size, mtime_ns, digest in rows:
        stored.setdefault(image_id, {})[path] = StoredStamp(Stamp(size, mtime_ns), digest)
    return stored


def _photo_rows(db: Database, condition) -> list[Any]:
    """(id, folder path, rel_path, size, mtime, embedded stamp, synced_at) of present photos."""
    with db.read() as session:
        return list(
            session.execute(
                select(
                    ImageOrm.id,
                    FolderOrm.path,
                    ImageOrm.rel_path,
                    ImageOrm.size,
                    ImageOrm.mtime,
                    XmpSyncOrm.embedded_stamp,
                    XmpSyncOrm.synced_at,
                )
                .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
                .outerjoin(XmpSyncOrm, XmpSyncOrm.image_id == ImageOrm.id)
                .where(condition, ImageOrm.status != ImageStatus.MISSING.value)
            ).all()
        )


def _by_directory(rows: list[tuple]) -> dict[tuple[str, str], list[tuple]]:
    groups: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[1], row[2].rpartition("/")[0]), []).append(row)
    return groups


def _worth_a_look(row: tuple, listing: Listing, known: dict) -> _Photo | None:
    """The photo if anything about its sidecars or embedded packet may have changed; None for
    the usual case, decided without touching the disk (100k photos: a few dictionary lookups)."""
    image_id, folder_path, rel_path, size, mtime, embedded_stamp, synced_at = row
    name = rel_path.rpartition("/")[2]
    stamp = photo_stamp(size, mtime) if has_embedded_xmp_format(name) else None
    unchanged = stamp is None or stamp == embedded_stamp
    if not known and unchanged and not listing.may_have_sidecar(name):
        return None
    return _Photo(image_id, absolute_path(folder_path, rel_path), stamp, embedded_stamp, synced_at)


def _sidecars_changed(
    photo: _Photo, listing: Listing, stored: dict[str, StoredStamp]
) -> str | None:
    """ "changed" (read and merge), "racy" (the stamps prove nothing: compare hashes) or None."""
    if not stored and not listing.may_have_sidecar(os.path.basename(photo.path)):
        return None  # nothing here could be this photo's sidecar, and none was known
    found = find_sidecars(photo.path, listing)
    if set(found) != set(stored):
        return "changed"
    if any(Stamp.of(path) != stamp.stamp for path, stamp in stored.items()):
        return "changed"
    # "Racily clean" (as git calls it): a file modified within the file system's timestamp
    # granularity of our last look may have changed again without a new size or mtime (FAT
    # and network shares keep 1-2 s). Such stamps prove nothing: the content hash decides.
    last_look = photo.synced_at or 0.0
    racy = any(s.stamp.mtime_ns / 1e9 >= last_look - _MTIME_GRANULARITY_S for s in stored.values())
    return "racy" if racy else None


def _embedded_says_nothing(photo: _Photo) -> bool:
    """True when the photo holds no XMP rating, pick or label (the usual case: no full sync)."""
    data = read_embedded_xmp(photo.path)
    if data is None:
        return True
    try:
        reading = read_packet(parse_packet(data), Base(), None)
    except SidecarParseError:
        return True
    return reading.stars is None and reading.flag is None and reading.color is None


def _record_checked(db: Database, photos: list[_Photo]) -> None:
    """Remember that these photos were looked at and hold nothing new (no full sync needed)."""
    if not photos:
        return
    table = XmpSyncOrm.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.image_id],
        set_={
            "embedded_stamp": statement.excluded.embedded_stamp,
            "synced_at": statement.excluded.synced_at,
        },
    )
    now = time.time()
    rows = [
        {
            "image_id": p.image_id,
            "pending": False,
            "change_seq": 0,
            "embedded_stamp": p.stamp,
            "synced_at": now,
        }
        for p in photos
    ]
    with db.write() as session:
        session.execute(statement, rows)


def _same_content(stored: dict[str, StoredStamp]) -> bool:
    """True if every sidecar still hashes to what was last synced (a racily clean stamp)."""
    for path, stamp in stored.items():
        try:
            with open(path, "rb") as handle:
                if sha256(handle.read()) != stamp.sha256:
                    return False
        except OSError:
            return False
    return True


def sync_changed(db: Database, condition, settings: XmpSettings) -> ImportReport:
    """Read and merge the photos (matching `condition`) whose sidecars or embedded packets may
    have changed."""
    stored = _stored_stamps(db, condition)
    report, quiet = ImportReport(), []
    listings = Listings()
    for (folder_path, rel_dir), rows in _by_directory(_photo_rows(db, condition)).items():
        listing = listings.of(
            os.path.join(folder_path, *rel_dir.split("/")) if rel_dir else folder_path
        )
        for row in rows:
            known = stored.get(row[0], {})
            photo = _worth_a_look(row, listing, known)
            if photo is None:
                continue
            change = _sidecars_changed(photo, listing, known)
            embedded = photo.stamp is not None and photo.stamp != photo.embedded_stamp
            if change == "changed" or (change == "racy" and not _same_content(known)):
                report += _sync(db, photo, settings, listings)
            elif embedded and (known or not _embedded_says_nothing(photo)):
                report += _sync(db, photo, settings, listings)
            elif embedded or change == "racy":
                quiet.append(photo)
    _record_checked(db, quiet)
    return report


def _sync(db: Database, photo: _Photo, settings: XmpSettings, listings: Listings) -> ImportReport:
    result = sync_image(db, photo.image_id, settings, write=False, listings=listings)
    if result is None:
        return ImportReport()
    return ImportReport(
        checked=1,
        imported=int(bool(result.imported)),
        conflicts=int(bool(result.conflicts)),
        errors=int(result.error is not None),
    )


def import_folder(db: Database, folder_id: int, settings: XmpSettings) -> ImportReport:
    """Read back the changed sidecars of one watched folder."""
    return sync_changed(db, ImageOrm.folder_id == folder_id, settings)


def _owners(sidecar_path: str) -> list[str]:
    """The photo paths a sidecar may belong to (it may be gone already: a deletion)."""
    directory, name = os.path.split(sidecar_path)
    if not name.lower().endswith(".xmp"):
        return []
    listing = Listing.of(directory)
    base = name[:-4]
    owners = [] if is_darktable_duplicate(listing, base) else listing.named(base)
    owner = short_form_owner(listing, base)
    return [os.path.join(directory, n) for n in {*owners, *([owner] if owner else [])}]


def import_paths(db: Database, paths: Iterable[str], settings: XmpSettings) -> ImportReport:
    """Read back sidecars (and JPEGs) that the watcher saw change."""
    photo_paths: set[str] = set()
    for path in paths:
        path = os.path.abspath(path)
        if path.lower().endswith(".xmp"):
            photo_paths.update(_owners(path))
        elif has_embedded_xmp_format(path):
            photo_paths.add(path)
    ids = list(image_ids_by_path(db, photo_paths).values())
    if not ids:
        return ImportReport()
    return sync_changed(db, ImageOrm.id.in_(ids), settings)


def image_ids_by_path(db: Database, photo_paths: Iterable[str]) -> dict[str, int]:
    """path -> image id for the photo paths the library knows (absolute paths)."""
    with db.read() as session:
        folders = session.execute(select(FolderOrm.id, FolderOrm.path)).all()
        # Innermost folder first, and compare against resolved roots too (a symlinked root).
        roots = sorted(
            {(fid, root) for fid, path in folders for root in (path, os.path.realpath(path))},
            key=lambda f: -len(f[1]),
        )
        ids: dict[str, int] = {}
        for path in photo_paths:
            for folder_id, root in roots:
                if path == root or not is_inside(path, root):
                    continue
                found = session.scalar(
                    select(ImageOrm.id).where(
                        ImageOrm.folder_id == folder_id,
                        ImageOrm.rel_path == relative_posix(root, path),
                    )
                )
                if found is not None:
                    ids[path] = found
                    break
    return ids
