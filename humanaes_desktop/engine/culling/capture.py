"""When a photo was taken, as precisely as the file says, and what orders frames of one second.

Capture time: EXIF DateTimeOriginal + SubSecTimeOriginal + OffsetTimeOriginal (the RAW
container's when a preview has none); without it the file's modification time, marked as such.
Cameras write whole seconds, and a 10 fps burst shares one: the sub-second field, else the file
counter in the name (DSC_0123.JPG), orders the frames. Burst ids that cameras write (Google's
XMP BurstID) are hard evidence that frames
belong together. ExposureBiasValue and the exposure settings feed bracket and panorama
detection.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from humanaes_desktop.engine.images.info import (
    DATETIME_ORIGINAL,
    EXIF_IFD_POINTER,
    OFFSET_TIME_ORIGINAL,
    exif_timestamp,
)

SUBSEC_TIME_ORIGINAL = 0x9291
EXPOSURE_BIAS = 0x9204
EXPOSURE_TIME = 0x829A
F_NUMBER = 0x829D
ISO = 0x8827
FOCAL_LENGTH = 0x920A
IMAGE_NUMBER = 0x9211  # TIFF/EP ImageNumber: some bodies write their shot counter here
BODY_SERIAL = 0xA431
MODEL = 0x0110

_COUNTER = re.compile(r"(\d{3,})(?!.*\d)")
_BURST_ID = re.compile(rb"BurstID\s*=\s*\"([^\"]{1,128})\"|<[\w:]*BurstID>([^<]{1,128})<")


@dataclass(frozen=True)
class CaptureInfo:
    """Capture time and shooting facts of one photo."""

    time: float  # POSIX seconds, sub-second precision where the file gives it
    source: str  # "exif+subsec", "exif" or "mtime"
    counter: int | None  # the shot counter from EXIF ImageNumber or the file name
    burst_id: str | None  # a camera-written burst identifier
    exposure_bias: float | None  # EV
    exposure_key: str | None  # "exposure time/f-number/ISO/focal length", when all are present
    camera: str | None  # model and body serial: frames of two bodies never form one burst


def _number(value: Any) -> float | None:  # EXIF values are untyped
    try:
        number = float(value)  # IFDRational, int, float
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if number == number else None  # NaN (0/0 rationals) counts as absent


def _subsec(value: object) -> float:
    text = value.decode("ascii", "ignore") if isinstance(value, bytes) else str(value or "")
    digits = "".join(ch for ch in text.strip() if ch.isdigit())
    return float(f"0.{digits}") if digits else 0.0


def file_counter(path: str | os.PathLike[str]) -> int | None:
    """The last run of 3+ digits in a file name (DSC_0123.JPG -> 123), or None."""
    match = _COUNTER.search(Path(path).stem)
    return int(match.group(1)) if match else None


def xmp_burst_id(packet: bytes | None) -> str | None:
    """A BurstID from the file's XMP packet (Google camera apps write one), or None."""
    if not packet:
        return None
    match = _BURST_ID.search(packet)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("utf-8", "replace").strip() or None


def read_capture(
    path: str | os.PathLike[str],
    exif: Image.Exif,
    xmp: bytes | None = None,
    raw_datetime: str | None = None,
    raw_offset: str | None = None,
) -> CaptureInfo:
    """Capture facts from a photo's EXIF (and XMP), falling back to the file's mtime."""
    ifd = exif.get_ifd(EXIF_IFD_POINTER) if exif else {}
    when = exif_timestamp(
        ifd.get(DATETIME_ORIGINAL) or raw_datetime, ifd.get(OFFSET_TIME_ORIGINAL) or raw_offset
    )
    if when is not None and ifd.get(SUBSEC_TIME_ORIGINAL) is not None:
        when, source = when + _subsec(ifd[SUBSEC_TIME_ORIGINAL]), "exif+subsec"
    elif when is not None:
        source = "exif"
    else:
        when, source = os.stat(path).st_mtime, "mtime"
    counter = ifd.get(IMAGE_NUMBER)
    counter = int(counter) if isinstance(counter, int) else file_counter(path)
    settings = [_number(ifd.get(tag)) for tag in (EXPOSURE_TIME, F_NUMBER, ISO, FOCAL_LENGTH)]
    exposure_key = "/".join(f"{v:g}" for v in settings) if None not in settings else None
    camera = " ".join(str(v).strip() for v in (exif.get(MODEL), ifd.get(BODY_SERIAL)) if v)
    return CaptureInfo(
        time=when,
        source=source,
        counter=counter,
        burst_id=xmp_burst_id(xmp),
        exposure_bias=_number(ifd.get(EXPOSURE_BIAS)),
        exposure_key=exposure_key,
        camera=camera or None,
    )
