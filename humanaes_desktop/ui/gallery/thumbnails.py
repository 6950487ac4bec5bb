"""Thumbnails decoded off the GUI thread, cached in memory (bounded LRU) and on disk.

The GUI asks `pixmap(...)`; a miss queues a decode on a small pool and returns None. The decode
(QImageReader with a scaled size and EXIF auto-orientation; the engine's preview decoder for RAW,
HEIC and what Qt cannot read, see view_decode.py) runs in the pool and yields a QImage; only the GUI thread turns it into a QPixmap,
then `thumbnail_ready(image_id)` tells the model to repaint that cell.

Generation stamps (a LatestRequest): scrolling or a new query calls `new_generation()`; queued
decodes from an older generation are skipped when they reach the front of the queue, so a fast scroll through
100,000 photos never leaves thousands of useless decodes in front of the visible ones.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage, QPixmap

from humanaes_desktop.ui.background.tasks import LatestRequest, TaskRunner
from humanaes_desktop.ui.background.view_decode import decode_for_view
from humanaes_desktop.ui.gallery.thumbnail_disk_cache import (
    DEFAULT_DISK_BYTES,
    DiskThumbnailCache,
    thumbnail_key,
)

log = logging.getLogger(__name__)

# Longest side of a thumbnail in logical pixels: the grid cell's size (gallery_delegate.THUMB_EDGE),
# so painting a cell is a plain blit; scaling a larger pixmap on every paint costs ~2 ms a cell.
DEFAULT_EDGE = 176
DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class _Request:
    image_id: int
    path: str
    key: str
    generation: int


class _Stale:
    """Marker result: the request was skipped because a newer generation exists."""


def decode_thumbnail(path: str, edge: int) -> QImage:
    """Decode `path` scaled so its longest side is at most `edge`, upright per EXIF.

    Qt's reader first, the engine's preview decoder for RAW, HEIC and whatever Qt cannot read
    (view_decode); raises ViewDecodeError with the reason when neither can.
    """
    return decode_for_view(path, QSize(edge, edge)).image


class ThumbnailLoader(QObject):
    """Owns the decode pool and both caches. Create and call on the GUI thread only."""

    thumbnail_ready = Signal(int)  # image id whose thumbnail (or failure) is now known

    def __init__(
        self,
        cache_dir: Path | None,
        edge: int = DEFAULT_EDGE,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        disk_bytes: int = DEFAULT_DISK_BYTES,
        threads: int = 2,
        device_pixel_ratio: float = 1.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.device_pixel_ratio = max(1.0, device_pixel_ratio)
        self.edge = round(edge * self.device_pixel_ratio)  # decoded size in device pixels
        self.memory_bytes = memory_bytes
        self._disk = DiskThumbnailCache(cache_dir, disk_bytes) if cache_dir else None
        self._runner = TaskRunner(max_threads=threads, name="thumbnails")
        self._memory: OrderedDict[str, QPixmap] = OrderedDict()
        self._memory_used = 0
        self._failed: dict[str, str] = {}  # key -> reason
        self._in_flight: set[str] = set()
        self._generation = LatestRequest()  # decodes queued before a scroll are not worth doing
        self._closed = False

    # -- queries ---------------------------------------------------------------------------
    def pixmap(self, image_id: int, path: str, size: int, mtime: float) -> QPixmap | None:
        """The thumbnail if ready; otherwise None, and a decode is queued (once)."""
        key = thumbnail_key(path, size, mtime, self.edge)
        cached = self._memory.get(key)
        if cached is not None:
            self._memory.move_to_end(key)
            return cached
        if self._closed:
            return None  # shutting down: a last repaint must not start new decodes
        if key not in self._failed and key not in self._in_flight:
            self._request(_Request(image_id, path, key, self._generation.current))
        return None

    def failure(self, path: str, size: int, mtime: float) -> str | None:
        """Why the thumbnail of this file could not be made, or None."""
        return self._failed.get(thumbnail_key(path, size, mtime, self.edge))

    def is_settled(self, path: str, size: int, mtime: float) -> bool:
        """True once the thumbnail is in memory or known to have failed."""
        key = thumbnail_key(path, size, mtime, self.edge)
        return key in self._memory or key in self._failed

    @property
    def in_flight(self) -> int:
        """Decodes queued or running."""
        return len(self._in_flight)

    @property
    def memory_used(self) -> int:
        """Bytes held by the in-memory pixmap cache (never above `memory_bytes`)."""
        return self._memory_used

    def new_generation(self) -> None:
        """Mark queued decodes as stale (called on scroll and on a new query)."""
        self._generation.cancel()

    def shutdown(self, timeout_ms: int = 5_000) -> None:
        """Skip queued decodes and wait for the running ones."""
        self._closed = True
        self._generation.cancel()
        self._runner.shutdown(timeout_ms)

    # -- decoding --------------------------------------------------------------------------
    def _request(self, request: _Request) -> None:
        self._in_flight.add(request.key)
        self._runner.run_task(
            lambda: self._load(request),
            on_done=lambda result: self._on_loaded(request, result),
            on_error=lambda exc: self._on_failed(request, exc),
        )

    def _load(self, request: _Request) -> QImage | _Stale:
        """Runs on a pool thread: disk cache first, then the original file."""
        if not self._generation.is_current(request.generation):
            return _Stale()
        if self._disk is not None:
            image = self._disk.get(request.key)
            if image is not None:
                return image
        image = decode_thumbnail(request.path, self.edge)
        if self._disk is not None:
            self._disk.put(request.key, image)
        return image

    def _on_loaded(self, request: _Request, result: QImage | _Stale) -> None:
        self._in_flight.discard(request.key)
        if isinstance(result, QImage):
            pixmap = QPixmap.fromImage(result)
            pixmap.setDevicePixelRatio(self.device_pixel_ratio)
            self._remember(request.key, pixmap)
        # Also for stale requests: a repaint re-requests the cell if it is still visible.
        self.thumbnail_ready.emit(request.image_id)

    def _on_failed(self, request: _Request, exc: BaseException) -> None:
        self._in_flight.discard(request.key)
        self._failed[request.key] = str(exc)
        log.info("no thumbnail for %s: %s", request.path, exc)
        self.thumbnail_ready.emit(request.image_id)

    def _remember(self, key: str, pixmap: QPixmap) -> None:
        cost = max(1, pixmap.width() * pixmap.height() * 4)
        self._memory[key] = pixmap
        self._memory_used += cost
        while self._memory_used > self.memory_bytes and len(self._memory) > 1:
            _, old = self._memory.popitem(last=False)
            self._memory_used -= max(1, old.width() * old.height() * 4)
