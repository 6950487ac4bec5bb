"""Decode large previews off the GUI thread, and drop results the user has moved past.

A preview of a 24-megapixel JPEG takes long enough to stutter the UI, so decoding runs on a
thread pool into a QImage (QPixmap is made later, on the GUI thread). Every request gets a
generation number; only the newest generation's result is delivered, so clicking quickly through
photos never shows a stale preview over the current one.
"""

from __future__ import annotations

import itertools
import logging
import weakref
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader, QPixmap

log = logging.getLogger(__name__)

_ROTATE_90 = QImageIOHandler.Transformation.TransformationRotate90


@dataclass(frozen=True)
class DecodedImage:
    """A decoded preview (or why it could not be decoded)."""

    path: str
    image: QImage | None
    original_size: QSize | None
    error: str | None


def decode_scaled(path: str, max_size: QSize) -> DecodedImage:
    """Decode `path` scaled to fit `max_size`, honouring EXIF orientation. Thread-safe."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # portrait photos from phones are stored sideways
    original = reader.size()
    if original.isValid():
        if reader.transformation() & _ROTATE_90:
            original = original.transposed()
        if original.width() > max_size.width() or original.height() > max_size.height():
            scaled = original.scaled(max_size, Qt.AspectRatioMode.KeepAspectRatio)
            if reader.transformation() & _ROTATE_90:
                scaled = scaled.transposed()  # the reader scales before it rotates
            reader.setScaledSize(scaled)
    image = reader.read()
    if image.isNull():
        return DecodedImage(path, None, None, reader.errorString() or "cannot decode image")
    return DecodedImage(path, image, original if original.isValid() else image.size(), None)


def fit_pixmap(pixmap: QPixmap, box: QSize, ratio: float) -> QPixmap:
    """`pixmap` scaled to fit `box` (logical pixels), sharp on a screen with this pixel ratio."""
    scaled = pixmap.scaled(
        box * ratio,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    scaled.setDevicePixelRatio(ratio)
    return scaled


class _Dispatcher(QObject):
    """One long-lived object on the GUI thread that hands decoded previews to live loaders."""

    decoded = Signal(int, int, object)  # loader key, generation, DecodedImage

    def __init__(self) -> None:
        super().__init__()
        self.loaders: weakref.WeakValueDictionary[int, ImageLoader] = weakref.WeakValueDictionary()
        self.decoded.connect(self._on_decoded)

    def _on_decoded(self, key: int, generation: int, result: DecodedImage) -> None:
        loader = self.loaders.get(key)
        if loader is None:
            return  # its widget is gone; nobody to show the preview to
        try:
            loader._on_task_decoded(generation, result)
        except RuntimeError:  # the wrapper outlived its C++ object (widget closed)
            log.debug("preview of %s arrived after its widget was closed", result.path)


_DISPATCHER: _Dispatcher | None = None
_KEYS = itertools.count(1)


def _dispatcher() -> _Dispatcher:
    global _DISPATCHER
    if _DISPATCHER is None:  # created by the first ImageLoader, i.e. on the GUI thread
        _DISPATCHER = _Dispatcher()
    return _DISPATCHER


class _DecodeTask(QRunnable):
    def __init__(self, loader_key: int, generation: int, path: str, max_size: QSize):
        super().__init__()
        # The task talks only to the dispatcher, never to the loader: the loader's widget may
        # be destroyed while this runs, and emitting on a dying QObject from a thread races.
        self._dispatcher = _dispatcher()
        self._loader_key = loader_key
        self._generation = generation
        self._path = path
        self._max_size = QSize(max_size)

    def run(self) -> None:
        try:
            result = decode_scaled(self._path, self._max_size)
        except Exception as exc:  # a decoder bug must reach the user as a message, not vanish
            log.exception("decoding %s failed", self._path)
            result = DecodedImage(self._path, None, None, str(exc))
        # Emitting from the pool thread: the loader lives on the GUI thread, so the
        # connection is queued and the slot runs there.
        self._dispatcher.decoded.emit(self._loader_key, self._generation, result)


class ImageLoader(QObject):
    """Loads one preview at a time for one widget; `loaded` fires only for the latest request."""

    loaded = Signal(object)  # DecodedImage

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None):
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._generation = 0
        self._key = next(_KEYS)
        _dispatcher().loaders[self._key] = self

    @property
    def generation(self) -> int:
        """The number of the newest request."""
        return self._generation

    def request(self, path: str, max_size: QSize) -> int:
        """Start decoding `path`; any older pending request becomes stale. Returns its generation."""
        self._generation += 1
        self._pool.start(_DecodeTask(self._key, self._generation, path, max_size))
        return self._generation

    def cancel(self) -> None:
        """Make every pending request stale (e.g. the selection was cleared)."""
        self._generation += 1

    def _on_task_decoded(self, generation: int, result: DecodedImage) -> None:
        if generation != self._generation:
            return  # the user has moved on; this preview belongs to an older selection
        self.loaded.emit(result)
