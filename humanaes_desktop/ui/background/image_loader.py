"""Decode large previews off the GUI thread, and drop results the user has moved past.

A preview of a 24-megapixel JPEG takes long enough to stutter the UI, so decoding runs on the
previews' TaskRunner into a QImage (QPixmap is made later, on the GUI thread). A LatestRequest
stamps every request; only the newest one's result is delivered, so clicking quickly through
photos never shows a stale preview over the current one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSize, Qt, QThread, Signal
from PySide6.QtGui import QImage, QPixmap

from humanaes_desktop.ui.background.tasks import LatestRequest, TaskRunner
from humanaes_desktop.ui.background.view_decode import ViewDecodeError, decode_for_view

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodedImage:
    """A decoded preview (or why it could not be decoded)."""

    path: str
    image: QImage | None
    original_size: QSize | None
    error: str | None


def decode_scaled(path: str, max_size: QSize) -> DecodedImage:
    """Decode `path` scaled to fit `max_size`, upright per EXIF; RAW, HEIC and anything Qt
    cannot read through the engine's preview decoder (view_decode). Thread-safe."""
    try:
        view = decode_for_view(path, max_size)
    except ViewDecodeError as exc:
        return DecodedImage(path, None, None, str(exc))
    return DecodedImage(path, view.image, view.original_size, None)


def fit_pixmap(pixmap: QPixmap, box: QSize, ratio: float) -> QPixmap:
    """`pixmap` scaled to fit `box` (logical pixels), sharp on a screen with this pixel ratio."""
    scaled = pixmap.scaled(
        box * ratio,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    scaled.setDevicePixelRatio(ratio)
    return scaled


_preview_runner: TaskRunner | None = None


def _previews() -> TaskRunner:
    """The pool every preview decodes on (created on first use; shut down with the app)."""
    global _preview_runner
    if _preview_runner is None or _preview_runner.closed:
        _preview_runner = TaskRunner(max_threads=QThread.idealThreadCount(), name="previews")
    return _preview_runner


def _decode_reporting_errors(path: str, max_size: QSize) -> DecodedImage:
    try:
        return decode_scaled(path, max_size)
    except Exception as exc:  # a decoder bug must reach the user as a message, not vanish
        log.exception("decoding %s failed", path)
        return DecodedImage(path, None, None, str(exc))


class ImageLoader(QObject):
    """Loads one preview at a time for one widget; `loaded` fires only for the latest request."""

    loaded = Signal(object)  # DecodedImage

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._latest = LatestRequest()

    @property
    def generation(self) -> int:
        """The number of the newest request."""
        return self._latest.current

    def request(self, path: str, max_size: QSize) -> int:
        """Start decoding `path`; any older pending request becomes stale. Returns its generation."""
        size = QSize(max_size)
        # Only the newest request's preview is shown: the user has moved past the older ones.
        # With the loader as context, nothing arrives once its widget has been closed.
        _previews().run_task(
            lambda: _decode_reporting_errors(path, size),
            on_done=self._latest.only_latest(self.loaded.emit),
            context=self,
        )
        return self._latest.current

    def cancel(self) -> None:
        """Make every pending request stale (e.g. the selection was cleared)."""
        self._latest.cancel()
