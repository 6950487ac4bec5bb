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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from humanaes_desktop.engine.images.errors import (
    EmptyImageFileError,
    ImageLoadError,
    ImageTemporarilyUnavailableError,
    ImageTooLargeError,
    TruncatedImageError,
    UnreadableImageError,
    UnsupportedFormatError,
)
from humanaes_desktop.engine.images.modes import exif_orientation
from humanaes_desktop.engine.images.raw_preview import (
    RAW_SUFFIXES,
    NoPreviewError,
    read_raw_preview,
)

# Refuse to decode more pixels than this (decompression bombs; 250 MP is beyond any camera).
MAX_PIXELS = 250_000_000

# Pillow has its own bomb check at open time: a warning above MAX_IMAGE_PIXELS, an error above
# twice that. Its default (~89 MP) would warn about, or refuse, images under our limit, so we
# raise it to ours (never lower it, should the host application have raised it further). Images
# above the limit are refused by `check_pixel_limit` with a specific error, so Pillow's warning
# never precedes a decode.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})

# Magic numbers of formats we read: a file that starts like one of them but cannot be opened is
# damaged rather than "not an image".
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"BM")

_heif_lock = threading.Lock()
_heif_state: dict[str, bool] = {}


@dataclass
class Source:
    """A lazily opened image (header read, pixels not yet decoded) and its metadata."""

    image: Image.Image
    orientation: int  # EXIF orientation 1..8 that applies to `image`
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


def read_file_bytes(path: Path) -> bytes:
    """The whole file; file-system trouble is transient, an empty file permanent."""
    with open_regular_file(path) as handle:
        try:
            data = handle.read()
        except OSError as exc:
            raise ImageTemporarilyUnavailableError(path, exc.strerror or str(exc)) from exc
    if not data:
        raise EmptyImageFileError(path)
    return data


def open_lazily(path: Path, file: io.BytesIO | Path, head: bytes) -> Image.Image:
    """Image.open with its errors translated; `head` is the file's first bytes."""
    # HEIF by name, or by content ("ftyp" box first: phones' HEIC files renamed to .jpg exist).
    if path.suffix.lower() in HEIF_SUFFIXES or head[4:8] == b"ftyp":
        if not ensure_heif_opener() and path.suffix.lower() in HEIF_SUFFIXES:
            raise UnsupportedFormatError(path, "HEIC/HEIF needs the pillow-heif package")
    try:
        return Image.open(file)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(path, str(exc)) from exc
    except (FileNotFoundError, PermissionError) as exc:
        raise ImageTemporarilyUnavailableError(path, exc.strerror) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # UnidentifiedImageError too
        if head.startswith(_SIGNATURES):
            raise TruncatedImageError(path, "its header is incomplete or damaged") from exc
        detail = None if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise UnreadableImageError(path, detail) from exc


def open_file(path: Path, data: bytes | None = None) -> Source:
    """Open an image file lazily (header read, pixels not decoded); RAW through its preview.

    `data`, when given, is the file's content already read (a cluster job ships bytes, not
    paths); `path` then only names the file in errors and chooses the decoder by its suffix.
    """
    if data is not None and not data:
        raise EmptyImageFileError(path)
    if path.suffix.lower() in RAW_SUFFIXES:
        return _open_raw(path) if data is None else _raw_from_file(path, data)
    if data is None:
        data = read_file_bytes(path)
    image = open_lazily(path, io.BytesIO(data), data[:16])
    # HEIF needs no special case: libheif applies the file's own transforms (irot/imir, which
    # the HEIF standard makes authoritative) and pillow-heif resets EXIF orientation to 1.
    return Source(image, exif_orientation(image))


def _open_raw(path: Path) -> Source:
    try:
        with open_regular_file(path) as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise EmptyImageFileError(path)
            return _raw_from_file(path, file)
    except IsADirectoryError as exc:
        raise UnreadableImageError(path, "it is a folder") from exc
    except OSError as exc:
        raise ImageTemporarilyUnavailableError(path, exc.strerror or str(exc)) from exc


def _raw_from_file(path: Path, file: BinaryIO | bytes) -> Source:
    try:
        preview = read_raw_preview(file)
    except NoPreviewError as exc:
        raise UnsupportedFormatError(
            path, "this RAW file has no embedded JPEG preview that can be read"
        ) from exc
    image = open_lazily(path, io.BytesIO(preview.jpeg), preview.jpeg[:16])
    own = exif_orientation(image)
    # The preview's own orientation wins when it has one; otherwise the container's applies.
    orientation = own if own != 1 else (preview.orientation or 1)
    return Source(image, orientation, True, preview.datetime_original, preview.offset_time_original)


def check_pixel_limit(path: Path, size: tuple[int, int], max_pixels: int) -> None:
    """Refuse images with more pixels than `max_pixels` before anything is decoded."""
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            path,
            f"{width}x{height} is {width * height / 1e6:.0f} megapixels; "
            f"the limit is {max_pixels / 1e6:.0f}",
        )


def decode(path: Path, image: Image.Image) -> None:
    """Decode the pixels (Image.load) with content errors translated."""
    try:
        image.load()
    except (Image.DecompressionBombError, MemoryError) as exc:
        raise ImageTooLargeError(path, str(exc) or "out of memory") from exc
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise TruncatedImageError(path, str(exc)) from exc
