"""Decode a photo for a view (thumbnail, detail panel, compare, full screen) into a QImage.

Qt's reader comes first where it reads what the engine scores (JPEG, PNG, WebP, BMP, GIF): it
decodes JPEGs scaled down and is fast. Everything else goes to the engine's preview decoder (`decode_preview`), the same
code that feeds the model: RAW files (through their embedded preview; Qt would show the tiny
thumbnail of IFD0, or nothing), HEIC, AVIF, 16-bit and odd modes, files whose name lies about
their format. So every view shows what the engine scores.

Thread-safe: called on pool threads; makes QImages only, never QPixmaps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePath

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader

from humanaes_desktop.engine.images.errors import ImageLoadError
from humanaes_desktop.engine.images.preview import decode_preview
from humanaes_desktop.engine.images.raw_preview import RAW_SUFFIXES
from humanaes_desktop.engine.images.source import HEIF_SUFFIXES

log = logging.getLogger(__name__)

_ROTATE_90 = QImageIOHandler.Transformation.TransformationRotate90
# Straight to the engine: formats Qt misreads or cannot read, and TIFF, which Qt cannot decode
# scaled anyway and whose JPEG-compressed variant it refuses with warnings.
ENGINE_FIRST_SUFFIXES = RAW_SUFFIXES | HEIF_SUFFIXES | frozenset({".avif", ".tif", ".tiff"})


@dataclass(frozen=True)
class ViewImage:
    """A decoded picture for display and the upright size of the full picture."""

    image: QImage
    original_size: QSize


class ViewDecodeError(Exception):
    """Neither Qt nor the engine could decode the file; the message says why."""


def decode_for_view(path: str, box: QSize) -> ViewImage:
    """`path` scaled to fit `box` (never enlarged), upright per EXIF; raises ViewDecodeError."""
    qt_error = None
    if PurePath(path).suffix.lower() not in ENGINE_FIRST_SUFFIXES:
        decoded, qt_error = _decode_with_qt(path, box)
        if decoded is not None:
            return decoded
    try:
        return _decode_with_engine(path, box)
    except ImageLoadError as exc:
        log.debug("engine could not decode %s for display: %s", path, exc)
        raise ViewDecodeError(str(exc)) from exc


def _decode_with_qt(path: str, box: QSize) -> tuple[ViewImage | None, str | None]:
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # portrait photos from phones are stored sideways
    original = reader.size()
    if original.isValid() and _beyond_qt_allocation_limit(original):
        # Qt would refuse it with a warning; the engine decodes it small or refuses a bomb.
        return None, "larger than Qt's image allocation limit"
    if original.isValid():
        turned = bool(reader.transformation() & _ROTATE_90)
        if turned:
            original = original.transposed()
        if original.width() > box.width() or original.height() > box.height():
            scaled = original.scaled(box, Qt.AspectRatioMode.KeepAspectRatio)
            scaled = scaled.expandedTo(QSize(1, 1))
            reader.setScaledSize(scaled.transposed() if turned else scaled)  # before rotating
    image = reader.read()
    if image.isNull():
        return None, reader.errorString() or "Qt cannot decode it"
    if image.width() > box.width() or image.height() > box.height():  # no scaled decoding
        image = image.scaled(
            box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return ViewImage(image, original if original.isValid() else image.size()), None


def _beyond_qt_allocation_limit(size: QSize) -> bool:
    limit_mb = QImageReader.allocationLimit()
    return limit_mb > 0 and size.width() * size.height() * 4 > limit_mb * 1024 * 1024


def _decode_with_engine(path: str, box: QSize) -> ViewImage:
    preview = decode_preview(path, max(1, max(box.width(), box.height())))
    rgb = preview.image
    if rgb.width > box.width() or rgb.height > box.height():  # a non-square box
        rgb = rgb.copy()
        rgb.thumbnail((box.width(), box.height()))
    data = rgb.tobytes()
    image = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return ViewImage(image.copy(), QSize(*preview.full_size))  # copy: detach from `data`
