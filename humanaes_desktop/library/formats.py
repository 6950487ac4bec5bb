"""Which files the library tracks, and their cheap header info.

Format decisions belong to the engine (`engine.image_io`); this module only adds the library's
view: a file is a *candidate* when it is an image the engine reads, or an image format we
recognise but cannot read (kept with status UNSUPPORTED and a reason, so the user sees why).
Everything else (sidecars, videos, documents, hidden and partial files) is ignored.
"""

from __future__ import annotations

import os

from humanaes_desktop.engine.images import loading
from humanaes_desktop.engine.images.loading import (
    SUPPORTED_SUFFIXES,
    ImageInfo,
    ImageLoadError,
    UnsupportedFormatError,
    is_supported_path,
)

__all__ = [
    "ImageInfo",
    "ImageLoadError",
    "UnsupportedFormatError",
    "is_candidate_path",
    "read_header",
    "unsupported_reason",
]

# Image formats people keep in photo folders. Those the engine cannot read become UNSUPPORTED.
_KNOWN_IMAGE_SUFFIXES: dict[str, str] = {
    **{s: "RAW" for s in (".cr2", ".cr3", ".nef", ".nrw", ".arw", ".sr2", ".dng", ".raf")},
    **{s: "RAW" for s in (".orf", ".rw2", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl")},
    ".psd": "Photoshop",
    ".svg": "SVG vector",
    ".avif": "AVIF",
    ".jxl": "JPEG XL",
    ".jp2": "JPEG 2000",
    ".exr": "OpenEXR",
}


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _is_hidden_or_partial(name: str) -> bool:
    # The same rule the engine applies to supported names, for names it never sees.
    lowered = name.lower()
    return (
        name.startswith((".", "~$"))
        or lowered.endswith((".part", ".crdownload", ".tmp", ".partial", ".download"))
        or name.endswith("~")
    )


def unsupported_reason(path: str) -> str | None:
    """Why a recognised image file cannot be scored, or None when it can (or is no image)."""
    if is_supported_path(path):
        return None
    name = os.path.basename(path)
    kind = _KNOWN_IMAGE_SUFFIXES.get(_suffix(name))
    if kind is None or _is_hidden_or_partial(name):
        return None
    return f"{kind} files ({_suffix(name)}) are not supported yet; export a JPEG to score it"


def is_candidate_path(path: str) -> bool:
    """True for files the library records: readable images and recognised unsupported ones."""
    return is_supported_path(path) or unsupported_reason(path) is not None


def read_header(path: str) -> ImageInfo:
    """Pixel size and capture time from the file header (raises ImageLoadError subclasses)."""
    return loading.read_image_info(path)


def supported_suffixes() -> frozenset[str]:
    """The suffixes the engine reads (for messages and documentation)."""
    return frozenset(SUPPORTED_SUFFIXES)
