"""The views' decode: every format the engine scores comes out upright and inside the box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSize

from humanaes_desktop.ui.background.view_decode import ViewDecodeError, decode_for_view
from tests.support.image_files import FORMATS, build, picture

UPRIGHT = picture(800, 600)
UPRIGHT.paste((255, 0, 0), (0, 0, 200, 150))  # a red top-left corner shows the orientation
STORED = {
    "jpeg-rotated": UPRIGHT.transpose(Image.Transpose.ROTATE_90),
    "raw-tiff": UPRIGHT.transpose(Image.Transpose.ROTATE_270),
    "raw-cr3": UPRIGHT.transpose(Image.Transpose.ROTATE_180),
}


def _corner(view) -> tuple[int, int, int]:
    colours = [view.image.pixelColor(x, y) for x in range(2, 30, 4) for y in range(2, 25, 4)]
    return tuple(
        int(np.mean([getattr(c, ch)() for c in colours])) for ch in ("red", "green", "blue")
    )


@pytest.mark.parametrize("name", sorted(set(FORMATS) - {"png-16bit"}))
def test_every_format_is_upright_in_the_box(qapp, tmp_path: Path, name: str) -> None:
    suffix, data = build(name, STORED.get(name, UPRIGHT))
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(data)
    view = decode_for_view(str(path), QSize(200, 120))
    assert view.image.size().toTuple() == (160, 120)
    assert view.original_size.toTuple() == (800, 600)
    red, green, blue = _corner(view)
    assert red > 180 and green < 90 and blue < 90, (red, green, blue)


def test_a_file_nobody_can_decode_says_why(qapp, tmp_path: Path) -> None:
    path = tmp_path / "cut.cr2"
    path.write_bytes(build("raw-tiff")[1][:-2000])
    with pytest.raises(ViewDecodeError, match="cut.cr2.*ends early"):
        decode_for_view(str(path), QSize(100, 100))


def test_a_bomb_is_refused_without_a_qt_warning(qapp, tmp_path: Path) -> None:
    from tests.support.failure_corpus import bomb_png

    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())  # Qt warnings fail tests: Qt must not even try this one
    with pytest.raises(ViewDecodeError, match="too large"):
        decode_for_view(str(path), QSize(100, 100))
