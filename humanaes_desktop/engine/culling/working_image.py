"""One decode per photo for the first pass: upright 8-bit RGB at about 1000 px on the long side.

The pixels come from the engine's one preview decoder (`engine.images.preview`), so the first
pass reads every format the views show: RAW files through their embedded JPEG preview, HEIC
through pillow-heif, JPEGs decoded by libjpeg at 1/2, 1/4 or 1/8 scale (a 12-MP 4:3 frame
decodes straight to 1008 px, 2.5-3x cheaper than a full decode), and the same `ImageLoadError`
subclasses, with their permanence, on a damaged or busy file. Every signal of the first pass is
computed from this one array, so its size is part of the signals version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from humanaes_desktop.engine.images.failures import decoder_errors
from humanaes_desktop.engine.images.preview import preview_of
from humanaes_desktop.engine.images.source import MAX_PIXELS, open_file

WORKING_LONG_SIDE = 1008  # 4032 / 4: a 12-MP 4:3 frame decodes straight to this size


@dataclass(frozen=True)
class WorkingImage:
    """The decoded working image and what is known about the file it came from."""

    rgb: np.ndarray  # H x W x 3, uint8, upright
    full_size: tuple[int, int]  # upright (width, height) of the full-resolution image
    exif: Image.Exif  # the file's EXIF (empty when it has none)
    raw: bool  # decoded from a RAW file's embedded preview
    raw_datetime: str | None = None  # RAW container's DateTimeOriginal, if any
    raw_offset: str | None = None
    xmp: bytes | None = None  # the file's XMP packet (burst ids live there)

    @property
    def gray(self) -> np.ndarray:
        """Luma (ITU-R 601), uint8, H x W."""
        import cv2

        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)


def load_working_image(
    path: str | os.PathLike[str], long_side: int = WORKING_LONG_SIDE, max_pixels: int = MAX_PIXELS
) -> WorkingImage:
    """Decode a photo once, upright, with its long side at most `long_side` (ImageLoadError on
    any failure, as the scorer's decoder raises them)."""
    path = Path(path)
    source = open_file(path, max_pixels=max_pixels)
    image = source.image
    with decoder_errors(path, source.snapshot):  # damaged EXIF or XMP is a damaged file
        exif = image.getexif()
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "ignore")
    # Bilinear: the signals are measured, not looked at, and a 24-MP frame's reduction from its
    # 1/4-scale decode costs about a quarter less than the views' Lanczos (37 vs 51 ms CPU).
    preview = preview_of(path, source, long_side, resample=Image.Resampling.BILINEAR)
    return WorkingImage(
        np.asarray(preview.image),
        preview.full_size,
        exif,
        source.raw,
        source.raw_datetime,
        source.raw_offset,
        xmp if isinstance(xmp, bytes) else None,
    )
