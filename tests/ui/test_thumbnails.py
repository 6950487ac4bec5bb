"""Thumbnails: decoded off the GUI thread, upright per EXIF, cached on disk within a bound."""

from __future__ import annotations

import io
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

from PIL import Image  # noqa: E402
from PySide6.QtCore import QThread  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from humanaes_desktop.ui.gallery import thumbnails  # noqa: E402
from humanaes_desktop.ui.gallery.thumbnail_disk_cache import DiskThumbnailCache  # noqa: E402
from humanaes_desktop.ui.gallery.thumbnails import ThumbnailLoader, decode_thumbnail  # noqa: E402
from tests.support.photos import PHOTOS_DIR, sample_photos  # noqa: E402


def rotated_jpeg(path: Path) -> Path:
    """A wide photo stored with EXIF orientation 6 (camera held upright: shows tall)."""
    with Image.open(PHOTOS_DIR / "rocket.jpg") as src:
        wide = src.convert("RGB").resize((400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    wide.save(path, "JPEG", exif=exif.tobytes())
    return path


def stat_args(path: Path) -> tuple[str, int, float]:
    st = path.stat()
    return str(path), st.st_size, st.st_mtime


def test_decode_is_scaled_and_upright_per_exif(tmp_path):
    image = decode_thumbnail(str(rotated_jpeg(tmp_path / "r.jpg")), 100)
    assert (image.width(), image.height()) == (50, 100)


def test_loader_decodes_off_the_gui_thread_and_reuses_the_disk_cache(qtbot, tmp_path, monkeypatch):
    photo = tmp_path / "astronaut.png"
    photo.write_bytes((PHOTOS_DIR / "astronaut.png").read_bytes())
    cache = tmp_path / "cache"
    loader = ThumbnailLoader(cache, edge=128)
    threads: list[object] = []

    def spy(path, edge):
        threads.append(QThread.currentThread())
        return decode_thumbnail(path, edge)

    monkeypatch.setattr(thumbnails, "decode_thumbnail", spy)
    with qtbot.waitSignal(loader.thumbnail_ready, timeout=10000) as ready:
        assert loader.pixmap(7, *stat_args(photo)) is None  # not ready: queued
    monkeypatch.undo()
    assert ready.args == [7]
    pixmap = loader.pixmap(7, *stat_args(photo))
    assert pixmap is not None and max(pixmap.width(), pixmap.height()) == 128
    assert threads and all(t is not QThread.currentThread() for t in threads)
    assert list(cache.rglob("*.jpg"))
    loader.shutdown()
    # Garble the original but keep its size and mtime: only the disk cache can answer now.
    size, mtime = photo.stat().st_size, photo.stat().st_mtime
    photo.write_bytes(b"\0" * size)
    os.utime(photo, (mtime, mtime))
    second = ThumbnailLoader(cache, edge=128)
    second.pixmap(7, str(photo), size, mtime)
    qtbot.waitSignal(second.thumbnail_ready, timeout=10000).wait()
    assert second.pixmap(7, str(photo), size, mtime) is not None
    second.shutdown()


# The file is broken on purpose: Qt's JPEG reader warning about it is expected here.
@pytest.mark.qt_log_ignore("JPEG datastream contains no image", "Unsupported marker type")
def test_unreadable_file_gets_a_reason_and_is_not_retried(qtbot, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    loader = ThumbnailLoader(None, edge=64)
    args = stat_args(broken)
    with qtbot.waitSignal(loader.thumbnail_ready, timeout=10000):
        assert loader.pixmap(1, *args) is None
    assert loader.failure(*args)
    assert loader.is_settled(*args)
    assert loader.pixmap(1, *args) is None and loader.in_flight == 0  # no retry loop
    loader.shutdown()


def test_memory_cache_stays_within_its_budget(qtbot, tmp_path):
    loader = ThumbnailLoader(None, edge=64, memory_bytes=3 * 64 * 64 * 4)
    for i, photo in enumerate(sample_photos()):
        with qtbot.waitSignal(loader.thumbnail_ready, timeout=10000):
            loader.pixmap(i, *stat_args(photo))
    assert 0 < loader.memory_used <= loader.memory_bytes
    loader.shutdown()


def noisy_image(seed: int) -> QImage:
    """A 96-px image with real detail, so each cached JPEG has a realistic size."""
    # (Built through Pillow: QImage.setPixelColor in a loop trips a PySide refcount bug.)
    buffer = io.BytesIO()
    Image.effect_noise((96, 96), 40 + seed).convert("RGB").save(buffer, "PNG")
    return QImage.fromData(buffer.getvalue())


def test_disk_cache_evicts_least_recently_used_beyond_its_cap(tmp_path):
    cache = DiskThumbnailCache(tmp_path / "thumbs", max_bytes=40_000)
    for i in range(60):
        image = noisy_image(seed=i)
        cache.put(f"{i:040x}", image)
        if i == 2:
            assert cache.get(f"{0:040x}") is not None  # a hit refreshes key 0
            os.utime(cache._file_for(f"{0:040x}"), (4e9, 4e9))  # clearly the newest use
    assert cache.total_bytes() <= 40_000
    files = list((tmp_path / "thumbs").rglob("*.jpg"))
    assert sum(f.stat().st_size for f in files) <= 40_000
    assert cache.get(f"{59:040x}") is not None  # the newest stays
    assert cache.get(f"{1:040x}") is None  # an old, unused one went first
    assert cache.get(f"{0:040x}") is not None  # recently used: kept
