"""Full-screen preview: shows the photo, arrows ask for the neighbour, Esc/Space close it."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QSize, Qt

from humanaes_desktop.ui.background.image_loader import decode_scaled
from humanaes_desktop.ui.window.preview_window import FullScreenPreview
from tests.support.photos import PHOTOS_DIR


@pytest.fixture
def preview(qtbot):
    widget = FullScreenPreview()
    qtbot.addWidget(widget)
    return widget


def test_shows_the_photo_with_its_shape(preview, qtbot):
    preview.show_image(str(PHOTOS_DIR / "rocket.jpg"))
    assert preview.isVisible()
    qtbot.waitUntil(lambda: preview.pixmap() is not None, timeout=5000)
    with Image.open(PHOTOS_DIR / "rocket.jpg") as original:
        ratio = original.width / original.height
    shown = preview.pixmap()
    assert abs(shown.width() / shown.height() - ratio) < 0.01
    frame = preview.grab().toImage()
    centre = frame.pixelColor(frame.width() // 2, frame.height() // 2)
    assert centre.name() != "#000000"  # the photo is painted, not just the black backdrop


def test_arrows_navigate_and_escape_or_space_close(preview, qtbot):
    preview.show_image(str(PHOTOS_DIR / "coffee.png"))
    with qtbot.waitSignal(preview.navigate, timeout=1000) as blocker:
        qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert blocker.args == [1]
    with qtbot.waitSignal(preview.navigate, timeout=1000) as blocker:
        qtbot.keyClick(preview, Qt.Key.Key_Left)
    assert blocker.args == [-1]
    with qtbot.waitSignal(preview.closed, timeout=1000):
        qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()
    preview.show_image(str(PHOTOS_DIR / "coffee.png"))
    assert preview.isVisible()
    qtbot.keyClick(preview, Qt.Key.Key_Space)
    assert not preview.isVisible()


# The file is broken on purpose: Qt's JPEG reader warning about it is expected here.
@pytest.mark.qt_log_ignore("JPEG datastream contains no image", "Unsupported marker type")
def test_unreadable_file_says_so(preview, qtbot, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    preview.show_image(str(broken))
    qtbot.waitUntil(lambda: preview._message.startswith("Cannot show"), timeout=5000)
    assert preview.pixmap() is None


def test_decode_honours_exif_orientation_and_fits_the_box(tmp_path):
    path = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait (rotate 90° clockwise)
    Image.new("RGB", (400, 200), "red").save(path, exif=exif.tobytes())
    result = decode_scaled(str(path), QSize(100, 100))
    assert result.error is None
    assert (result.image.width(), result.image.height()) == (50, 100)
    assert (result.original_size.width(), result.original_size.height()) == (200, 400)


def test_caption_is_drawn_over_the_photo(preview, qtbot):
    preview.show_image(str(PHOTOS_DIR / "camera.png"), caption="camera.png  ·  0.71 good  ·  ★★★")
    qtbot.waitUntil(lambda: preview.pixmap() is not None, timeout=5000)
    assert preview.caption() == "camera.png  ·  0.71 good  ·  ★★★"
    with_caption = preview.grab().toImage()
    preview.show_image(str(PHOTOS_DIR / "camera.png"))
    assert preview.caption() == ""
    without = preview.grab().toImage()
    bottom = with_caption.height()
    changed = sum(
        with_caption.pixel(x, y) != without.pixel(x, y)
        for x in range(16, 260, 2)
        for y in range(bottom - 50, bottom - 10, 2)
    )
    assert changed > 50  # the caption's text is painted in the bottom-left corner
