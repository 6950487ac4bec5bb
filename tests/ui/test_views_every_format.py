"""Every format the engine scores shows upright in every view: grid thumbnails, the detail
panel, full screen and compare (the real window on a real library of generated files)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.records import GalleryQuery  # noqa: E402
from humanaes_desktop.ui.gallery.thumbnails import ThumbnailLoader  # noqa: E402
from humanaes_desktop.ui.window.preview_window import FullScreenPreview  # noqa: E402
from tests.support.image_files import build, picture  # noqa: E402
from tests.support.windows import open_window  # noqa: E402

UPRIGHT = picture(900, 600)
UPRIGHT.paste((255, 0, 0), (0, 0, 225, 150))  # the top-left corner is red when upright
FORMATS = {  # format -> what the camera stored (its file says how to turn it upright)
    "jpeg": UPRIGHT,
    "jpeg-rotated": UPRIGHT.transpose(Image.Transpose.ROTATE_90),  # orientation 6
    "png": UPRIGHT,
    "webp": UPRIGHT,
    "tiff-jpeg": UPRIGHT,  # Qt's TIFF reader refuses JPEG compression
    "heic": UPRIGHT,
    "raw-tiff": UPRIGHT.transpose(Image.Transpose.ROTATE_270),  # CR2-style, orientation 8
    "raw-raf": UPRIGHT,
    "raw-cr3": UPRIGHT.transpose(Image.Transpose.ROTATE_180),  # orientation 3
}


@pytest.fixture
def formats_library(tmp_path):
    folder = tmp_path / "formats"
    folder.mkdir()
    for name, stored in FORMATS.items():
        suffix, data = build(name, stored)
        (folder / f"{name}{suffix}").write_bytes(data)
    library = Library.open(tmp_path / "library.sqlite3")
    library.scan_folder(library.add_folder(folder).id)
    yield library
    library.close()


def red_corner_and_shape(image: QImage) -> tuple[bool, float]:
    """(is the top-left corner red, width / height) of a displayed picture."""
    corner = [image.pixelColor(x, y) for x in range(1, image.width() // 8) for y in range(1, 4)]
    red = sum(c.red() > 170 and c.green() < 100 and c.blue() < 100 for c in corner)
    return red > 0.8 * len(corner), image.width() / image.height()


def assert_upright(image: QImage, where: str) -> None:
    assert not image.isNull(), where
    red, ratio = red_corner_and_shape(image)
    assert red and abs(ratio - 1.5) < 0.03, f"{where}: red corner {red}, ratio {ratio:.3f}"


def test_every_view_shows_every_format_upright(qtbot, formats_library):
    thumbnails = ThumbnailLoader(None, edge=120)
    window, client, _bridge, _worker = open_window(qtbot, formats_library)
    rows = formats_library.rows(formats_library.query_ids(GalleryQuery(sort_key="file_name")))
    assert len(rows) == len(FORMATS)
    try:
        for row in rows:
            args = (row.id, row.path, row.size, row.mtime)
            thumbnails.pixmap(*args)
            qtbot.waitUntil(lambda row=row: thumbnails.is_settled(row.path, row.size, row.mtime))
            pixmap = thumbnails.pixmap(*args)
            assert pixmap is not None, thumbnails.failure(row.path, row.size, row.mtime)
            assert_upright(pixmap.toImage(), f"thumbnail of {row.file_name}")

            window.gallery.select_ids([row.id], current=row.id)
            panel = window.detail_panel

            def shows_this_photo(panel=panel, row=row) -> bool:
                detail = panel.current_detail()  # the previous photo's preview must not count
                shown = detail is not None and detail.row.id == row.id
                return shown and not panel.preview_pixmap().isNull()

            qtbot.waitUntil(shows_this_photo, timeout=10_000)
            assert_upright(panel.preview_pixmap().toImage(), f"detail panel of {row.file_name}")

            full = FullScreenPreview()  # a fresh one: it keeps the last photo up while loading
            qtbot.addWidget(full)
            full.show_image(row.path)
            qtbot.waitUntil(lambda full=full: full.pixmap() is not None, timeout=10_000)
            assert_upright(full.pixmap().toImage(), f"full screen of {row.file_name}")
            full.close()

        raw = [r.id for r in rows if r.file_name.startswith("raw-")]
        window.gallery.select_ids(raw, current=raw[0])
        window.culling.compare.trigger()
        compare = window.pages.compare_view
        qtbot.waitUntil(compare.previews_loaded, timeout=10_000)
        for column in range(len(raw)):
            assert_upright(compare.preview_pixmap(column).toImage(), f"compare column {column}")
    finally:
        thumbnails.shutdown()
        client.shutdown()
