"""Every Pillow mode becomes correct 8-bit RGB, and EXIF orientation makes images upright."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import open_image, read_image_info
from humanaes_desktop.engine.images.modes import to_rgb

EXACT = PreprocessProfile()


def rgb_array(image: Image.Image) -> np.ndarray:
    assert image.mode == "RGB"
    return np.asarray(image).astype(np.int16)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path: Path, sample_photos_dir: Path) -> None:
    grey = np.asarray(Image.open(sample_photos_dir / "camera.png").convert("L"))
    # v*257 is the exact 16-bit version of v; +100 is noise below one 8-bit step.
    wide = grey.astype(np.uint16) * 257 + np.where(grey < 255, 100, 0).astype(np.uint16)
    path = tmp_path / "camera16.png"
    Image.fromarray(wide).save(path)
    assert Image.open(path).mode == "I;16"
    result = rgb_array(open_image(path, EXACT))
    for channel in range(3):
        np.testing.assert_array_equal(result[..., channel], grey)


def test_big_endian_sixteen_bit_and_32_bit_int_and_float_greys() -> None:
    values = np.array([[0, 128, 255]], dtype=np.uint8)
    big_endian = Image.fromarray((values.astype(">u2") * 257).astype(">u2"))
    assert big_endian.mode == "I;16B"
    as_int = Image.fromarray(values.astype(np.int32) * 257, "I")
    as_float = Image.fromarray(values.astype(np.float32) / 255, "F")
    for image in (big_endian, as_int, as_float):
        assert rgb_array(to_rgb(image))[0, :, 0].tolist() == [0, 128, 255], image.mode


def test_rgba_png_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 3, 4), dtype=np.uint8)  # black everywhere underneath
    rgba[..., 0] = 200  # a red that shows where opaque
    rgba[:, 0, 3] = 0  # transparent column
    rgba[:, 1, 3] = 255  # opaque column
    rgba[:, 2, 3] = 128  # half transparent column
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(path)
    result = rgb_array(open_image(path, EXACT))
    assert result[0, 0].tolist() == [255, 255, 255]
    assert result[0, 1].tolist() == [200, 0, 0]
    assert result[0, 2, 0] in range(226, 230) and result[0, 2, 1] in range(126, 130)


def test_palette_with_transparency_and_grey_with_alpha(tmp_path: Path) -> None:
    palette = Image.new("P", (4, 1), 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    palette.putpixel((0, 0), 0)
    palette.info["transparency"] = 0
    palette.save(tmp_path / "p.png")
    result = rgb_array(open_image(tmp_path / "p.png", EXACT))
    assert result[0, 0].tolist() == [255, 255, 255] and result[0, 1].tolist() == [10, 200, 30]

    la = Image.merge("LA", (Image.new("L", (2, 1), 50), Image.frombytes("L", (2, 1), b"\x00\xff")))
    la.save(tmp_path / "la.png")
    assert rgb_array(open_image(tmp_path / "la.png", EXACT))[0].tolist() == [
        [255, 255, 255],
        [50, 50, 50],
    ]


def test_cmyk_jpeg(tmp_path: Path, sample_photos_dir: Path) -> None:
    source = Image.open(sample_photos_dir / "chelsea.png").convert("RGB")
    path = tmp_path / "print.jpg"
    source.convert("CMYK").save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    assert psnr(rgb_array(open_image(path, EXACT)), rgb_array(source)) > 30


@pytest.mark.parametrize("mode", ["1", "L", "YCbCr"])
def test_other_modes_convert_like_pillow(mode: str, sample_photos_dir: Path) -> None:
    image = Image.open(sample_photos_dir / "astronaut.png").convert(mode)
    np.testing.assert_array_equal(rgb_array(to_rgb(image)), rgb_array(image.convert("RGB")))


# Stored image = the upright image put through the inverse of what each orientation undoes.
_STORED_FROM_UPRIGHT = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # displayed after turning 90 degrees clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_png_is_exact(tmp_path: Path, orientation: int, sample_photos_dir) -> None:
    upright = Image.open(sample_photos_dir / "chelsea.png").convert("RGB")  # 451 x 300, asymmetric
    method = _STORED_FROM_UPRIGHT[orientation]
    stored = upright if method is None else upright.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    stored.save(path, exif=exif)
    result = open_image(path, EXACT)
    np.testing.assert_array_equal(rgb_array(result), rgb_array(upright))
    info = read_image_info(path)
    assert (info.width, info.height) == (451, 300)


def test_exif_orientation_6_jpeg(tmp_path: Path, sample_photos_dir: Path) -> None:
    upright = Image.open(sample_photos_dir / "chelsea.png").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "portrait.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, exif=exif)
    assert Image.open(path).size == (300, 451)  # stored sideways
    result = open_image(path, EXACT)
    assert result.size == (451, 300)
    assert psnr(rgb_array(result), rgb_array(upright)) > 30
    # A wrong rotation would be far off: the stored, unrotated pixels are nothing like upright.
    assert psnr(rgb_array(result), rgb_array(upright.transpose(Image.Transpose.ROTATE_180))) < 20
    assert (read_image_info(path).width, read_image_info(path).height) == (451, 300)
