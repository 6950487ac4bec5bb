"""One decode per photo for the first pass: upright 8-bit RGB at about 1000 px on the long side.

JPEGs (and RAW files, through their embedded JPEG preview) are decoded by libjpeg at 1/2, 1/4 or
1/8 scale (Pillow draft mode), which is 2.5-3x cheaper than a full decode at 12 MP; other formats
decode fully and are then reduced. Every signal of the first pass is computed from this one
array, so its size is part of the signals version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from humanaes_desktop.engine.images.errors import UnsupportedFormatError
from humanaes_desktop.engine.images.modes import apply_orientation, swaps_axes, to_rgb
from humanaes_desktop.engine.images.source import MAX_PIXELS, check_pixel_limit, decode, open_file

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
    source = open_file(path)
    image = source.image
    check_pixel_limit(path, image.size, max_pixels)
    full_size = image.size[::-1] if swaps_axes(source.orientation) else image.size
    exif = image.getexif()
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "ignore")
    if isinstance(image, JpegImageFile):
        scale = long_side / max(image.size)
        # draft picks the smallest 1/n scale that is still at least the requested size.
        image.draft("RGB", (int(image.size[0] * scale), int(image.size[1] * scale)))
    decode(path, image)
    try:
        rgb = to_rgb(apply_orientation(image, source.orientation))
    except ValueError as exc:
        raise UnsupportedFormatError(path, f"pixel mode {image.mode}: {exc}") from exc
    if max(rgb.size) > long_side:
        rgb = _reduced(rgb, long_side)
    return WorkingImage(
        np.asarray(rgb),
        full_size,
        exif,
        source.raw,
        source.raw_datetime,
        source.raw_offset,
        xmp if isinstance(xmp, bytes) else None,
    )


def _reduced(image: Image.Image, long_side: int) -> Image.Image:
    scale = long_side / max(image.size)
    size = (max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale)))
    # reducing_gap: a cheap integer box reduction first, then a short resample (Pillow's own
    # speed trick; the result is within a grey level of a plain high-quality resize).
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
