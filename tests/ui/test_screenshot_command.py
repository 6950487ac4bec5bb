"""`humanaes-desktop --screenshot` in a subprocess: a real PNG of the requested size, not blank."""

from __future__ import annotations

import os
import subprocess
import sys

from PIL import Image, ImageStat

from tests.support.libraries import fill_library
from tests.support.photos import PHOTOS_DIR


def run_app(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HUMANAES_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "humanaes_desktop.app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_screenshot_writes_a_non_blank_png_of_the_requested_size(tmp_path):
    filled = fill_library(tmp_path / "lib.sqlite3", tmp_path / "photos", use_sample_photos=True)
    filled.library.close()
    out = tmp_path / "shots" / "grid.png"
    result = run_app(
        "--library", str(tmp_path / "lib.sqlite3"), "--screenshot", str(out),
        "--size", "1280x800", data_dir=tmp_path / "data",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Image.open(out) as shot:
        assert shot.size == (1280, 800)
        stats = ImageStat.Stat(shot.convert("L"))
        assert stats.stddev[0] > 20  # thumbnails, text and badges, not an empty frame
        colors = shot.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colors is not None and len(colors) > 1000  # photo thumbnails were drawn
    # the thumbnails were decoded into the disk cache under the data dir, not the user's home
    assert any((tmp_path / "data" / "cache" / "thumbnails").rglob("*.jpg"))


def test_screenshot_of_the_table_and_compare_views(tmp_path):
    filled = fill_library(tmp_path / "lib.sqlite3", tmp_path / "photos")
    filled.library.close()
    for view in ("table", "compare"):
        out = tmp_path / f"{view}.png"
        result = run_app(
            "--library", str(tmp_path / "lib.sqlite3"), "--screenshot", str(out),
            "--view", view, "--select", "2", "--size", "1200x760", data_dir=tmp_path / "data",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        with Image.open(out) as shot:
            assert shot.size == (1200, 760)


def test_bad_size_is_refused_with_a_message(tmp_path):
    result = run_app("--size", "huge", "--screenshot", str(tmp_path / "x.png"), data_dir=tmp_path)
    assert result.returncode == 2
    assert "WIDTHxHEIGHT" in result.stderr


def test_window_opens_without_importing_torch(tmp_path):
    """Model loading (and torch) belong to the worker thread, started after the window shows."""
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from humanaes_desktop import app\n"
        "qt = QApplication([])\n"
        f"args = app.build_parser().parse_args(['--library', {str(tmp_path / 'l.sqlite3')!r}])\n"
        "desktop = app.DesktopApp(args)\n"
        "desktop.window.show(); desktop.window.start(); qt.processEvents()\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
        "desktop.shutdown()\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HUMANAES_DATA_DIR=str(tmp_path / "d"))
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "False"]


def test_live_screenshot_waits_for_scores_progress_and_eta(tmp_path, tiny_model_dir):
    from humanaes_desktop.library import Library

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"):
        (photos / name).write_bytes((PHOTOS_DIR / name).read_bytes())
    library = Library.open(tmp_path / "lib.sqlite3")
    library.scan_folder(library.add_folder(photos).id)  # queued, nothing scored yet
    library.close()
    out = tmp_path / "scoring.png"
    result = run_app(
        "--library", str(tmp_path / "lib.sqlite3"), "--model", str(tiny_model_dir),
        "--screenshot", str(out), "--while-scoring", "2", "--size", "1200x760",
        data_dir=tmp_path / "data",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "saving anyway" not in result.stderr  # it saw 2+ scored with progress and an ETA
    assert out.is_file()
    reopened = Library.open(tmp_path / "lib.sqlite3")  # the photos scored are really stored
    try:
        assert reopened.queue_counts().scored >= 2
    finally:
        reopened.close()
