"""Every way a decoder can fail, turned into an `ImageLoadError` with the right permanence.

Pillow, its plugins, pillow-heif and our RAW reader raise a zoo of exceptions on damaged data:
`OSError("image file is truncated")`, `SyntaxError("broken PNG file")`, `struct.error`,
`ValueError`, `EOFError`, `zlib.error`, `IndexError`, `KeyError`, `RuntimeError` (libheif,
libavif) and `MemoryError`. They all mean one of three things, and the job queue must know which:

- the content is damaged or incomplete: permanent (`TruncatedImageError`, `UnreadableImageError`);
- the content is too big to decode: permanent (`ImageTooLargeError`);
- the file system got in the way, or the file changed while we read it (still being copied,
  replaced, deleted): transient (`ImageTemporarilyUnavailableError` and its subclass
  `ImageChangedWhileReadingError`). Damaged-looking bytes of a file that changed meanwhile are
  not evidence of damage: the next try reads the finished file.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from humanaes_desktop.engine.images.errors import (
    ImageChangedWhileReadingError,
    ImageLoadError,
    ImageTemporarilyUnavailableError,
    ImageTooLargeError,
    TruncatedImageError,
    UnreadableImageError,
)

# What decoders raise on bad data. Not `Exception`: a bug of ours (AttributeError, NameError)
# must stay a bug with a traceback, not become "your file is damaged".
CONTENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    IndexError,
    KeyError,
    TypeError,
    RuntimeError,
    OverflowError,
)

# Magic numbers of formats we read: a file that starts like one of them but cannot be opened is
# damaged rather than "not an image".
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"BM")

# OSErrors with these errno values come from the file system, not from the bytes.
_FILE_SYSTEM_ERRNOS = frozenset(
    {errno.ENOENT, errno.EACCES, errno.EPERM, errno.EIO, errno.EAGAIN, errno.EBUSY}
    | {errno.ESTALE, errno.ETIMEDOUT, errno.EINTR, errno.ENXIO}
)


@dataclass(frozen=True)
class FileSnapshot:
    """What stat() said about a file when we started reading it."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of_fd(cls, fd: int) -> FileSnapshot:
        info = os.fstat(fd)
        return cls(info.st_size, info.st_mtime_ns, info.st_ino)

    @classmethod
    def of_path(cls, path: Path) -> FileSnapshot | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return cls(info.st_size, info.st_mtime_ns, info.st_ino)

    def change_since(self, path: Path) -> str | None:
        """Why the file at `path` is no longer what was read, or None when it is unchanged."""
        now = FileSnapshot.of_path(path)
        if now is None:
            return "it was deleted or moved while it was read"
        if now.inode != self.inode:
            return "it was replaced while it was read"
        if (now.size, now.mtime_ns) != (self.size, self.mtime_ns):
            return f"it changed while it was read ({self.size} -> {now.size} bytes)"
        return None


def is_file_system_error(exc: BaseException) -> bool:
    """True for an OSError raised by the operating system (a lock, a permission, a lost file)."""
    return isinstance(exc, OSError) and (
        isinstance(exc, (FileNotFoundError, PermissionError, TimeoutError, BlockingIOError))
        or exc.errno in _FILE_SYSTEM_ERRNOS
    )


def describe(exc: BaseException) -> str:
    """A short detail for the message: the decoder's own words, or the exception's name."""
    text = str(exc).strip()
    if isinstance(exc, KeyError | IndexError | struct.error | zlib.error) or not text:
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


def content_failure(
    path: Path,
    exc: BaseException,
    snapshot: FileSnapshot | None,
    *,
    header: bytes | None = None,
) -> ImageLoadError:
    """The error for bytes a decoder refused: damaged, or not an image, unless the file moved.

    `header` is given when the failure happened while identifying the file: those first bytes
    tell a damaged image of a format we read from something that is no image at all.
    """
    change = snapshot.change_since(path) if snapshot is not None else None
    if change is not None:
        return ImageChangedWhileReadingError(path, change)
    if header is None:
        return TruncatedImageError(path, describe(exc))
    if looks_like_image(header):
        return TruncatedImageError(path, "its header is incomplete or damaged")
    # Pillow's "cannot identify image file <_io.BytesIO ...>" tells the user nothing.
    return UnreadableImageError(path, None if isinstance(exc, UnidentifiedImageError) else str(exc))


def looks_like_image(head: bytes) -> bool:
    """True when a file's first bytes are those of a format we read (HEIF/AVIF: an ftyp box)."""
    return head.startswith(_SIGNATURES) or head[4:8] == b"ftyp"


@contextmanager
def decoder_errors(
    path: Path, snapshot: FileSnapshot | None = None, *, header: bytes | None = None
) -> Iterator[None]:
    """Translate whatever the code inside raises about `path` into an `ImageLoadError`.

    Pass `header` (the file's first bytes) around the call that identifies the format.
    """
    try:
        yield
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(path, str(exc)) from exc
    except MemoryError as exc:
        raise ImageTooLargeError(path, "out of memory while decoding it") from exc
    except CONTENT_ERRORS as exc:
        if is_file_system_error(exc):
            detail = getattr(exc, "strerror", None) or str(exc)
            raise ImageTemporarilyUnavailableError(path, detail) from exc
        raise content_failure(path, exc, snapshot, header=header) from exc
