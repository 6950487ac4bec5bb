"""A bounded on-disk cache of thumbnail JPEGs (least recently used files are evicted first).

Thread-safe: the thumbnail decode pool reads and writes it concurrently. Keys are derived from
the image's path, size and mtime, so an edited photo never shows a stale thumbnail.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from PySide6.QtGui import QImage, QImageReader

log = logging.getLogger(__name__)

DEFAULT_DISK_BYTES = 256 * 1024 * 1024


def thumbnail_key(path: str, size: int, mtime: float, edge: int) -> str:
    """A file-name-safe key that changes whenever the photo or the thumbnail size changes."""
    raw = f"{path}\0{size}\0{mtime:.6f}\0{edge}".encode("utf-8", "surrogatepass")
    return hashlib.sha1(raw).hexdigest()


class DiskThumbnailCache:
    """JPEG thumbnails under `directory`, kept under `max_bytes` by evicting the oldest-used."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_DISK_BYTES) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._total_bytes: int | None = None  # measured lazily, off the GUI thread

    def _file_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.jpg"

    def get(self, key: str) -> QImage | None:
        """The cached thumbnail, or None; a hit refreshes the entry's recency."""
        path = self._file_for(key)
        if not path.is_file():
            return None
        image = QImageReader(str(path)).read()
        if image.isNull():
            log.warning("discarding unreadable cached thumbnail %s", path)
            self._remove(path)
            return None
        try:
            os.utime(path)  # mtime is the LRU clock
        except OSError as exc:
            log.debug("could not touch %s: %s", path, exc)
        return image

    def put(self, key: str, image: QImage) -> None:
        """Store a thumbnail, then evict old entries if the cache grew past its cap."""
        path = self._file_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{threading.get_ident()}.tmp")
        if not image.save(str(tmp), "JPEG", 85):
            log.warning("could not write thumbnail cache file %s", tmp)
            return
        os.replace(tmp, path)  # readers never see a half-written file
        with self._lock:
            self._ensure_measured()
            self._total_bytes += path.stat().st_size
            if self._total_bytes > self.max_bytes:
                self._evict(target=int(self.max_bytes * 0.9))

    def total_bytes(self) -> int:
        """Bytes currently used on disk (measured on first call)."""
        with self._lock:
            self._ensure_measured()
            return self._total_bytes

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries = []
        if not self.directory.is_dir():
            return entries
        for sub in os.scandir(self.directory):
            if not sub.is_dir():
                continue
            for entry in os.scandir(sub.path):
                if entry.name.endswith(".jpg"):
                    st = entry.stat()
                    entries.append((st.st_mtime, st.st_size, Path(entry.path)))
        return entries

    def _ensure_measured(self) -> None:
        if self._total_bytes is None:
            self._total_bytes = sum(size for _, size, _ in self._entries())

    def _evict(self, target: int) -> None:
        started = time.perf_counter()
        removed = 0
        for _, size, path in sorted(self._entries()):
            if self._total_bytes <= target:
                break
            if self._remove(path):
                self._total_bytes -= size
                removed += 1
        log.debug("evicted %d thumbnails in %.3f s", removed, time.perf_counter() - started)

    @staticmethod
    def _remove(path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True
