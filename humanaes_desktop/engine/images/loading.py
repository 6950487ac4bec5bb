"""Image files → upright 8-bit RGB images → model input tiles.

The library scanner and the UI import this module, so it does not import torch at module level
(only `load_pixels` needs it). Everything that can go wrong with a file leaves as a subclass of
`ImageLoadError` (a `UserError`) naming the file and the cause; `permanent` says whether retrying
can help.

Two decode profiles, chosen by the caller through `PreprocessProfile.decode` and never switched
here: "exact" decodes every pixel (the reference code's behaviour); "fast" lets the JPEG decoder scale down
by 1/2, 1/4 or 1/8 while decoding (Pillow draft mode), never below the size the tile grid needs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, features
from PIL.JpegImagePlugin import JpegImageFile

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.errors import (
    EmptyImageFileError,
    ImageLoadError,
    ImageTemporarilyUnavailableError,
    ImageTooLargeError,
    TruncatedImageError,
    UnreadableImageError,
    UnsupportedFormatError,
)
from humanaes_desktop.engine.images.info import ImageInfo, read_image_info
from humanaes_desktop.engine.images.modes import apply_orientation, swaps_axes, to_rgb
from humanaes_desktop.engine.images.raw_preview import RAW_SUFFIXES
from humanaes_desktop.engine.images.source import (
    HEIF_SUFFIXES,
    MAX_PIXELS,
    decode,
    open_file,
)
from humanaes_desktop.engine.images.tiling import tile_grid

if TYPE_CHECKING:
    import torch

__all__ = [
    "DECODE_MODES",
    "FULL_SIZE_KEY",
    "MAX_PIXELS",
    "RAW_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "EmptyImageFileError",
    "ImageInfo",
    "ImageLoadError",
    "ImageTemporarilyUnavailableError",
    "ImageTooLargeError",
    "TruncatedImageError",
    "UnreadableImageError",
    "UnsupportedFormatError",
    "is_supported_path",
    "load_pixels",
    "open_image",
    "read_image_info",
]

DECODE_MODES = frozenset({"exact", "fast"})

_PILLOW_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
)
_AVIF_SUFFIXES = frozenset({".avif"}) if features.check("avif") else frozenset()
SUPPORTED_SUFFIXES: frozenset[str] = (
    _PILLOW_SUFFIXES | HEIF_SUFFIXES | RAW_SUFFIXES | _AVIF_SUFFIXES
)

# Name prefixes of files that are not (yet) photos: hidden files, macOS resource forks ("._"),
# Office lock files ("~$"). Partial downloads (.part, .crdownload, .tmp, …) end in a suffix that is
# not an image suffix, so the suffix check refuses them.
_IGNORED_PREFIXES = (".", "~$")

# `open_image(..., fast)` records the upright full-resolution size here, so the tile grid of a
# draft-decoded image is the one its full decode would get.
FULL_SIZE_KEY = "humanaes.full_size"


def is_supported_path(path: str | os.PathLike[str]) -> bool:
    """True for a file name this app can decode and should scan (not hidden, not partial)."""
    # os.path, not PurePath: a rescan asks this of every file (PurePath was ~70% of the CPU
    # time of an unchanged rescan).
    name = os.path.basename(os.fspath(path))
    if not name or name.startswith(_IGNORED_PREFIXES):
        return False
    return os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES


def open_image(
    path: str | os.PathLike[str],
    profile: PreprocessProfile,
    *,
    max_pixels: int = MAX_PIXELS,
    data: bytes | None = None,
) -> Image.Image:
    """Fully decoded, upright (EXIF orientation applied), 8-bit RGB image of a file.

    Differs on purpose from the reference code's `Image.open(f).convert("RGB")`: it applies EXIF
    orientation, puts transparent images on white and scales 16-bit data instead of clipping it.
    `max_pixels` can tighten the limit; Pillow's own bomb check still refuses anything above
    twice `MAX_PIXELS`. `data` is the file's content when the caller has already read it.
    """
    if profile.decode not in DECODE_MODES:
        raise ValueError(f"unknown decode profile {profile.decode!r}; use one of {DECODE_MODES}")
    path = Path(path)
    source = open_file(path, data, max_pixels=max_pixels)
    image = source.image
    full_size = image.size[::-1] if swaps_axes(source.orientation) else image.size
    # MPO (multi-picture JPEG, written by many cameras as .JPG) is a JpegImageFile too.
    if profile.decode == "fast" and isinstance(image, JpegImageFile):
        _request_draft(image, full_size, source.orientation, profile)
    decode(path, image, source.snapshot)
    try:
        rgb = to_rgb(apply_orientation(image, source.orientation))
    except ValueError as exc:
        raise UnsupportedFormatError(path, f"pixel mode {image.mode}: {exc}") from exc
    if profile.decode == "fast":
        rgb.info[FULL_SIZE_KEY] = full_size
    return rgb


def _request_draft(
    image: Image.Image, full_size: tuple[int, int], orientation: int, profile: PreprocessProfile
) -> None:
    """Ask the JPEG decoder for the smallest 1/n scale still at least the tile grid's size."""
    cols, rows = tile_grid(*full_size, profile.max_tiles, profile.input_size)
    needed = (cols * profile.input_size, rows * profile.input_size)
    if swaps_axes(orientation):  # the grid is for the upright image; the decoder sees it stored
        needed = needed[::-1]
    image.draft("RGB", needed)


def load_pixels(
    path: str | os.PathLike[str], profile: PreprocessProfile, *, data: bytes | None = None
) -> torch.Tensor:
    """Model input tiles of a file: `pixel_values(open_image(path, profile), ...)`.

    `data`: the file's bytes, already read (then `path` only names it in errors).
    """
    from humanaes_desktop.engine.preprocess import normalize_tiles, tile_arrays_for_grid

    image = open_image(path, profile, data=data)
    full_width, full_height = image.info.get(FULL_SIZE_KEY, image.size)
    grid = tile_grid(full_width, full_height, profile.max_tiles, profile.input_size)
    return normalize_tiles(tile_arrays_for_grid(image, grid, profile.input_size))
