"""Why an image could not be loaded, as exceptions the user can read.

Each names the file and the cause. `permanent` tells the job queue whether retrying can help:
a corrupt file stays corrupt, while a file that is locked, being copied or briefly gone may load
on the next try.
"""

from __future__ import annotations

from pathlib import Path

from humanaes_desktop.errors import UserError


class ImageLoadError(UserError):
    """An image file could not be turned into pixels."""

    permanent: bool = True
    reason: str = "could not be loaded"

    def __init__(self, path: str | Path, detail: str | None = None) -> None:
        self.path = Path(path)
        self.detail = detail
        message = f"{self.path.name}: {self.reason}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)

    def __reduce__(self):  # keeps path and detail through pickling (e.g. a process pool)
        return (type(self), (self.path, self.detail))


class EmptyImageFileError(ImageLoadError):
    reason = "the file is empty (0 bytes)"


class UnreadableImageError(ImageLoadError):
    reason = "this is not an image file, or its format is not recognised"


class TruncatedImageError(ImageLoadError):
    reason = "the image data ends early or is damaged; the file may be incomplete"


class ImageTooLargeError(ImageLoadError):
    reason = "the image is too large to decode safely"


class UnsupportedFormatError(ImageLoadError):
    reason = "this image format is not supported"


class ImageTemporarilyUnavailableError(ImageLoadError):
    """The file could not be read right now (permissions, a lock, a vanished or moving file)."""

    permanent = False
    reason = "the file could not be read right now"


class ImageChangedWhileReadingError(ImageTemporarilyUnavailableError):
    """The bytes did not decode, but the file changed meanwhile (still being copied, replaced)."""

    reason = "the file changed while it was read; it may still be being copied"
