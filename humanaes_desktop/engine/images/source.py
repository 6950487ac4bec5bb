"""Shared internals of `image_io`: reading a file and opening it lazily as a Pillow image.

Every failure leaves here as an `ImageLoadError` subclass naming the file and the cause. The
split that matters for the job queue: errors of the file system (a lock, a permission, a file
that vanished) are transient; errors of the content (not an image, truncated, too large) are
permanent.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from humanaes_desktop.engine.images.errors import (
    EmptyImageFileError,
    ImageTemporarilyUnavailableError,
    ImageTooLargeError,
    UnreadableImageError,
    UnsupportedFormatError,
)
from humanaes_desktop.engine.images.failures import FileSnapshot, content_failure, decoder_errors
from humanaes_desktop.engine.images.modes import exif_orientation
from humanaes_desktop.engine.images.raw_preview import (
    RAW_SUFFIXES,
    IncompletePreviewError,
    NoPreviewError,
    RawPreview,
    read_raw_preview,
)

# Refuse to decode more pixels than this (decompression bombs; 250 MP is beyond any camera).
MAX_PIXELS = 250_000_000

# Pillow has its own bomb check at open time: a warning above MAX_IMAGE_PIXELS, an error above
# twice that. Its default (~89 MP) would warn about, or refuse, images under our limit, so we
# raise it to ours (never lower it, should the host application have raised it further). Images
# above the limit are refused by `check_pixel_limit` with a specific error before a pixel is
# decoded, so Pillow's warning (printed between one and two times the limit) is only noise.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})

_heif_lock = threading.Lock()
_heif_state: dict[str, bool] = {}


@dataclass
class Source:
    """A lazily opened image (header read, pixels not yet decoded) and its metadata."""

    image: Image.Image
    orientation: int  # EXIF orientation 1..8 that applies to `image`
    snapshot: FileSnapshot | None = None  # the file as it was read (to tell damage from change)
    raw: bool = False
    raw_datetime: str | None = None  # RAW container's DateTimeOriginal, if any
    raw_offset: str | None = None  # RAW container's OffsetTimeOriginal, if any


def ensure_heif_opener() -> bool:
    """Register pillow-heif's opener once (lazily: it loads libheif). False if unavailable."""
    with _heif_lock:
        if "available" not in _heif_state:
            try:
                import pillow_heif
            except ImportError:
                _heif_state["available"] = False
            else:
                pillow_heif.register_heif_opener()
                _heif_state["available"] = True
        return _heif_state["available"]


def open_regular_file(path: Path) -> io.BufferedReader:
    """Open a file for reading; refuse folders, pipes and devices without blocking on them.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer (a named
    pipe called photo.jpg would otherwise hang the scoring run); for regular files it changes
    nothing.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError as exc:
        raise UnreadableImageError(path, "it is a folder") from exc
    except OSError as exc:
        raise ImageTemporarilyUnavailableError(path, exc.strerror or str(exc)) from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe or device)"
        raise UnreadableImageError(path, f"it is {kind}")
    return os.fdopen(fd, "rb")


def read_file_bytes(path: Path) -> tuple[bytes, FileSnapshot]:
    """The whole file and its stat at the read; file-system trouble is transient, empty permanent."""
    with open_regular_file(path) as handle:
        snapshot = FileSnapshot.of_fd(handle.fileno())
        try:
            data = handle.read()
        except OSError as exc:
            raise ImageTemporarilyUnavailableError(path, exc.strerror or str(exc)) from exc
    if not data:
        raise EmptyImageFileError(path)
    return data, snapshot


def open_lazily(
    path: Path, file: io.BytesIO | Path, head: bytes, snapshot: FileSnapshot | None = None
) -> Image.Image:
    """Image.open with its errors translated; `head` is the file's first bytes."""
    # HEIF by name, or by content ("ftyp" box first: phones' HEIC files renamed to .jpg exist).
    if path.suffix.lower() in HEIF_SUFFIXES or head[4:8] == b"ftyp":
        if not ensure_heif_opener() and path.suffix.lower() in HEIF_SUFFIXES:
            raise UnsupportedFormatError(path, "HEIC/HEIF needs the pillow-heif package")
    with decoder_errors(path, snapshot, header=head):
        return Image.open(file)


def orientation_of(path: Path, image: Image.Image, snapshot: FileSnapshot | None) -> int:
    """EXIF orientation; reading EXIF may decode the pixels (PNG), so its errors are translated."""
    with decoder_errors(path, snapshot):
        return exif_orientation(image)


def open_file(path: Path, data: bytes | None = None, max_pixels: int = MAX_PIXELS) -> Source:
    """Open an image file lazily (header read, pixels not decoded); RAW through its preview.

    `data`, when given, is the file's content already read (a cluster job ships bytes, not
    paths); `path` then only names the file in errors and chooses the decoder by its suffix.
    Images over `max_pixels` are refused here, before reading EXIF can decode them (PNG).
    """
    if data is not None and not data:
        raise EmptyImageFileError(path)
    if path.suffix.lower() in RAW_SUFFIXES:
        if data is None:
            return _open_raw(path, max_pixels)
        return _raw_source(path, data, None, max_pixels)
    snapshot = None  # bytes handed in cannot change under us
    if data is None:
        data, snapshot = read_file_bytes(path)
    image = open_lazily(path, io.BytesIO(data), data[:16], snapshot)
    check_pixel_limit(path, image.size, max_pixels)
    # HEIF needs no special case: libheif applies the file's own transforms (irot/imir, which
    # the HEIF standard makes authoritative) and pillow-heif resets EXIF orientation to 1.
    return Source(image, orientation_of(path, image, snapshot), snapshot)


def _open_raw(path: Path, max_pixels: int) -> Source:
    with open_regular_file(path) as file:
        snapshot = FileSnapshot.of_fd(file.fileno())
        if snapshot.size == 0:
            raise EmptyImageFileError(path)
        return _raw_source(path, file, snapshot, max_pixels)


def _raw_source(
    path: Path, file: BinaryIO | bytes, snapshot: FileSnapshot | None, max_pixels: int
) -> Source:
    with decoder_errors(path, snapshot):
        preview = _read_preview(path, file, snapshot)
    image = open_lazily(path, io.BytesIO(preview.jpeg), preview.jpeg[:16], snapshot)
    check_pixel_limit(path, image.size, max_pixels)
    own = orientation_of(path, image, snapshot)
    # The preview's own orientation wins when it has one; otherwise the container's applies.
    orientation = own if own != 1 else (preview.orientation or 1)
    return Source(
        image, orientation, snapshot, True, preview.datetime_original, preview.offset_time_original
    )


def _read_preview(path: Path, file: BinaryIO | bytes, snapshot: FileSnapshot | None) -> RawPreview:
    try:
        return read_raw_preview(file)
    except IncompletePreviewError as exc:  # a preview starts but never ends: cut short
        raise content_failure(path, exc, snapshot) from exc
    except NoPreviewError as exc:
        raise UnsupportedFormatError(
            path, "this RAW file has no embedded JPEG preview that can be read"
        ) from exc


def check_pixel_limit(path: Path, size: tuple[int, int], max_pixels: int) -> None:
    """Refuse images with more pixels than `max_pixels` before anything is decoded."""
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            path,
            f"{width}x{height} is {width * height / 1e6:.0f} megapixels; "
            f"the limit is {max_pixels / 1e6:.0f}",
        )


def decode(path: Path, image: Image.Image, snapshot: FileSnapshot | None = None) -> None:
    """Decode the pixels (Image.load) with every decoder failure translated (failures.py)."""
    with decoder_errors(path, snapshot):
        image.load()
