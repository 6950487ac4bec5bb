"""One decoder for every view: any file the engine scores, as an upright RGB picture of bounded size.

The gallery's thumbnails, the detail panel, compare, full screen and the culling pass all show
what the engine scores, so they decode through the same `open_file` as the model input: RAW
files through their embedded preview, HEIC through pillow-heif, every pixel mode to 8-bit RGB
(16-bit scaled, alpha on white), EXIF orientation applied, decompression bombs refused before a
pixel is decoded. Unlike `open_image` it never decodes more than the view needs: JPEGs (RAW
previews included) decode at 1/2, 1/4 or 1/8 scale straight from the file (Pillow draft mode).

Torch-free and Qt-free; thread-safe (each call opens its own file). Failures are the engine's
`ImageLoadError` subclasses, with `permanent` telling a damaged file from a busy one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from humanaes_desktop.engine.images.errors import UnsupportedFormatError
from humanaes_desktop.engine.images.failures import decoder_errors
from humanaes_desktop.engine.images.modes import apply_orientation, swaps_axes, to_rgb
from humanaes_desktop.engine.images.source import MAX_PIXELS, Source, decode, open_file

# Modes Pillow resamples correctly as they are; the others become RGB at full size first
# (16-bit and float data need scaling, palettes and CMYK converting, before any filtering).
_RESAMPLE_AS_IS = frozenset({"RGB", "RGBA", "L", "LA"})


@dataclass(frozen=True)
class Preview:
    """A decoded picture for display."""

    image: Image.Image  # 8-bit RGB, upright, longest side at most the requested edge
    full_size: tuple[int, int]  # upright (width, height) of the full picture (RAW: its preview)
    decoded_size: tuple[int, int]  # what the decoder produced before the final resample


def decode_preview(
    path: str | os.PathLike[str], max_edge: int, *, max_pixels: int = MAX_PIXELS
) -> Preview:
    """Decode `path` to fit a `max_edge` x `max_edge` box (never enlarged), upright, 8-bit RGB.

    Raises an `ImageLoadError` subclass naming the file and the cause.
    """
    if max_edge < 1:
        raise ValueError(f"max_edge must be at least 1, got {max_edge}")
    path = Path(path)
    return preview_of(path, open_file(path, max_pixels=max_pixels), max_edge)


def preview_of(
    path: Path,
    source: Source,
    max_edge: int,
    *,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Preview:
    """`decode_preview` of a file already opened by `open_file` (for callers that also read
    its metadata, such as the culling pass); decodes `source.image`'s pixels. `resample`: the
    final reduction's filter (a pass that measures rather than shows may take a cheaper one)."""
    image = source.image
    full_size = image.size[::-1] if swaps_axes(source.orientation) else image.size
    if isinstance(image, JpegImageFile):  # RAW previews and MPO files are JPEGs too
        # The decoder keeps the long side at least max_edge, so the box is still filled; asking
        # for the picture's own aspect lets a 4:3 frame use the smallest scale that does.
        image.draft("RGB", _draft_request(image.size, max_edge))
    decode(path, image, source.snapshot)
    decoded_size = image.size
    picture = image if image.mode in _RESAMPLE_AS_IS else _rgb(path, image)
    with decoder_errors(path, source.snapshot):
        if max(picture.size) > max_edge:
            picture = picture.resize(_fitted(picture.size, max_edge), resample, reducing_gap=3.0)
        upright = apply_orientation(picture, source.orientation)
    return Preview(_rgb(path, upright), full_size, decoded_size)


def _draft_request(size: tuple[int, int], max_edge: int) -> tuple[int, int]:
    # Integer arithmetic: the long side asks for exactly max_edge, the short side rounds down,
    # so no side asks for more than the box needs (which would cost a coarser scale).
    width, height = size
    long_side = max(width, height)
    if long_side <= max_edge:
        return size
    if width >= height:
        return max_edge, max(1, height * max_edge // width)
    return max(1, width * max_edge // height), max_edge


def _fitted(size: tuple[int, int], max_edge: int) -> tuple[int, int]:
    width, height = size
    scale = max_edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _rgb(path: Path, image: Image.Image) -> Image.Image:
    try:
        return to_rgb(image)
    except ValueError as exc:
        raise UnsupportedFormatError(path, f"pixel mode {image.mode}: {exc}") from exc
