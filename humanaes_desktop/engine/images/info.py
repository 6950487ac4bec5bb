"""Cheap facts about an image file for the library scanner: size and capture time.

Only the header and EXIF are read, never the pixels (the scanner calls this for 100k files).
RAW files read a little more: their IFDs and the preview's header (or, for RAW formats whose
preview is not reachable through TIFF structure, the whole file).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from humanaes_desktop.engine.images.errors import (
    EmptyImageFileError,
    ImageTemporarilyUnavailableError,
    UnreadableImageError,
)
from humanaes_desktop.engine.images.failures import FileSnapshot, decoder_errors
from humanaes_desktop.engine.images.modes import swaps_axes
from humanaes_desktop.engine.images.raw_preview import RAW_SUFFIXES
from humanaes_desktop.engine.images.source import (
    MAX_PIXELS,
    check_pixel_limit,
    open_file,
    open_lazily,
    orientation_of,
)

EXIF_IFD_POINTER = 0x8769
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011

_EXIF_DATETIME = re.compile(r"\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"\s*([+-])(\d{2}):(\d{2})")


@dataclass(frozen=True)
class ImageInfo:
    """Upright pixel size and capture time (POSIX seconds) of an image file."""

    width: int
    height: int
    captured_at: float | None


def read_image_info(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Size (after EXIF orientation) and EXIF capture time, from the header only."""
    path = Path(path)
    if path.suffix.lower() in RAW_SUFFIXES:
        return _raw_info(path, max_pixels)
    head = _read_head(path)
    snapshot = FileSnapshot.of_path(path)
    with open_lazily(path, path, head, snapshot) as image:
        check_pixel_limit(path, image.size, max_pixels)
        orientation = orientation_of(path, image, snapshot)
        return _info_from(path, image, orientation, None, None, snapshot)


def _raw_info(path: Path, max_pixels: int) -> ImageInfo:
    source = open_file(path, max_pixels=max_pixels)
    with source.image as image:
        return _info_from(
            path,
            image,
            source.orientation,
            source.raw_datetime,
            source.raw_offset,
            source.snapshot,
        )


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except IsADirectoryError as exc:
        raise UnreadableImageError(path, "it is a folder") from exc
    except OSError as exc:
        raise ImageTemporarilyUnavailableError(path, exc.strerror or str(exc)) from exc
    if not head:
        raise EmptyImageFileError(path)
    return head


def _info_from(
    path: Path,
    image: Image.Image,
    orientation: int,
    fallback_time: str | None,
    fallback_offset: str | None,
    snapshot: FileSnapshot | None,
) -> ImageInfo:
    width, height = image.size
    if swaps_axes(orientation):
        width, height = height, width
    # Pillow parses damaged EXIF leniently (a warning, fewer tags); what still raises here is
    # damage to the image itself (a PNG decodes its pixels to look for a late eXIf chunk).
    with decoder_errors(path, snapshot):
        exif_ifd = image.getexif().get_ifd(EXIF_IFD_POINTER)
    text = exif_ifd.get(DATETIME_ORIGINAL) or fallback_time
    offset = exif_ifd.get(OFFSET_TIME_ORIGINAL) or fallback_offset
    return ImageInfo(width, height, exif_timestamp(text, offset))


def exif_timestamp(text: object, offset: object = None) -> float | None:
    """POSIX time of an EXIF "YYYY:MM:DD HH:MM:SS" value, None when absent or invalid.

    With an EXIF OffsetTimeOriginal ("+02:00") the time is exact. Without one, EXIF times are
    the camera's wall clock with no zone, and we read them as local time of this computer: right
    for photos taken where the user lives, off by the zone difference for travel photos.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    match = _EXIF_DATETIME.match(text) if isinstance(text, str) else None
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" and other impossible dates
        return None
    zone = _EXIF_OFFSET.match(offset) if isinstance(offset, str) else None
    if zone:
        sign = -1 if zone.group(1) == "-" else 1
        delta = timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3)))
        moment = moment.replace(tzinfo=timezone(sign * delta))
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
