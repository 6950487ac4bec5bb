"""The views' decoder: every format the engine scores, upright, 8-bit RGB, never above the box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.images.errors import ImageTooLargeError
from humanaes_desktop.engine.images.preview import decode_preview
from tests.support.image_files import FORMATS, build, jpeg, picture, saved

# The marker: a bright red block in the top-left corner of the upright picture.
UPRIGHT = picture(800, 600)
UPRIGHT.paste((255, 0, 0), (0, 0, 200, 150))
# What the camera stored for each EXIF orientation the formats below declare.
STORED = {
    "jpeg-rotated": UPRIGHT.transpose(Image.Transpose.ROTATE_90),  # orientation 6
    "raw-tiff": UPRIGHT.transpose(Image.Transpose.ROTATE_270),  # orientation 8
    "raw-cr3": UPRIGHT.transpose(Image.Transpose.ROTATE_180),  # orientation 3
}


def _write(tmp_path: Path, name: str, image: Image.Image) -> Path:
    suffix, data = build(name, image)
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_comes_out_upright_in_the_box(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, STORED.get(name, UPRIGHT))
    preview = decode_preview(path, 200)
    assert preview.image.mode == "RGB"
    assert preview.image.size == (200, 150)
    assert preview.full_size == (800, 600)
    corner = np.asarray(preview.image)[:30, :40].reshape(-1, 3).mean(axis=0)
    if name == "png-16bit":  # greyscale: red is a dark grey (ITU-R 601 luma 76)
        assert np.allclose(corner, 76, atol=6), f"grey corner: {corner}"
    else:
        assert corner[0] > 180 and corner[1] < 90 and corner[2] < 90, f"red corner: {corner}"


def test_large_jpegs_decode_at_a_fraction_of_their_size(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg(picture(4000, 3000)))
    preview = decode_preview(path, 176)
    assert preview.decoded_size == (500, 375)  # 1/8 scale straight from the file
    assert preview.image.size == (176, 132)


def test_a_small_picture_is_never_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    picture(64, 48).save(path)
    assert decode_preview(path, 1000).image.size == (64, 48)


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("I;16", (128, 128, 128)),  # 16-bit grey, scaled not clipped
        ("LA", (255, 255, 255)),  # fully transparent: shown on white
        ("P", (128, 128, 128)),
        ("CMYK", None),
        ("1", None),
    ],
)
def test_every_pixel_mode_becomes_rgb(tmp_path: Path, mode: str, expected) -> None:
    if mode == "I;16":
        image = Image.fromarray(np.full((60, 80), 32896, np.uint16))
    elif mode == "LA":
        image = Image.new("LA", (80, 60), (0, 0))
    else:
        image = Image.new("RGB", (80, 60), (128, 128, 128)).convert(mode)
    path = tmp_path / f"mode-{mode.replace(';', '')}.{'tif' if mode == 'CMYK' else 'png'}"
    image.save(path)
    preview = decode_preview(path, 40)
    assert preview.image.mode == "RGB" and preview.image.size == (40, 30)
    if expected is not None:
        assert tuple(np.asarray(preview.image)[15, 20]) == expected


def test_a_bomb_is_refused_and_a_tighter_limit_applies(tmp_path: Path) -> None:
    from tests.support.failure_corpus import bomb_png

    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    with pytest.raises(ImageTooLargeError):
        decode_preview(path, 176)
    ordinary = tmp_path / "ordinary.png"
    saved_bytes = saved(picture(400, 300), "PNG")
    ordinary.write_bytes(saved_bytes)
    with pytest.raises(ImageTooLargeError, match="the limit is 0"):
        decode_preview(ordinary, 176, max_pixels=100_000)


def test_a_box_smaller_than_one_pixel_is_a_programming_error(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    picture(10, 10).save(path)
    with pytest.raises(ValueError, match="max_edge"):
        decode_preview(path, 0)
