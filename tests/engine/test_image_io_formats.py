"""Every supported format decodes to the right pixels; the fast profile stays close to exact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import (
    FULL_SIZE_KEY,
    SUPPORTED_SUFFIXES,
    load_pixels,
    open_image,
    read_image_info,
)
from humanaes_desktop.engine.preprocess import pixel_values

EXACT = PreprocessProfile()
FAST = PreprocessProfile(decode="fast")


def rgb(image: Image.Image) -> np.ndarray:
    assert image.mode == "RGB"
    return np.asarray(image).astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


@pytest.fixture
def chelsea(sample_photos_dir: Path) -> Image.Image:
    return Image.open(sample_photos_dir / "chelsea.png").convert("RGB")


@pytest.mark.parametrize(
    "suffix, options",
    [(".webp", {"lossless": True}), (".tif", {}), (".tiff", {"compression": "tiff_lzw"})]
    + [(".bmp", {}), (".png", {})],
)
def test_lossless_formats_round_trip_exactly(tmp_path: Path, chelsea, suffix, options) -> None:
    path = tmp_path / f"cat{suffix}"
    chelsea.save(path, **options)
    np.testing.assert_array_equal(rgb(open_image(path, EXACT)), rgb(chelsea))
    assert read_image_info(path).width == 451


def test_gif_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((220, 0, 0), (0, 0, 220))]
    path = tmp_path / "blink.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(path).n_frames == 2
    result = rgb(open_image(path, EXACT))
    assert result.shape == (30, 40, 3)
    assert np.all(result[..., 0] > 200) and np.all(result[..., 2] < 20)


def test_lossy_webp(tmp_path: Path, chelsea) -> None:
    path = tmp_path / "cat.webp"
    chelsea.save(path, quality=90)
    assert psnr(rgb(open_image(path, EXACT)), rgb(chelsea)) > 30


def test_heic_through_pillow_heif(tmp_path: Path, chelsea) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()  # only to write the test file; image_io registers itself
    path = tmp_path / "cat.heic"
    chelsea.save(path, quality=90)
    result = open_image(path, EXACT)
    assert result.size == (451, 300)
    assert psnr(rgb(result), rgb(chelsea)) > 30
    assert {".heic", ".heif"} <= SUPPORTED_SUFFIXES
    # In a fresh process (no opener registered by this test): image_io registers pillow-heif
    # itself, and recognises a phone's HEIC renamed to .jpg by its content.
    renamed = tmp_path / "IMG_1234.jpg"
    renamed.write_bytes(path.read_bytes())
    code = (
        "import sys; from humanaes_desktop.engine.images.loading import open_image;"
        "from humanaes_desktop.engine.assessment import PreprocessProfile as P;"
        "print([open_image(p, P()).size for p in sys.argv[1:]])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(renamed), str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "[(451, 300), (451, 300)]"


def test_avif_when_pillow_supports_it(tmp_path: Path, chelsea) -> None:
    if ".avif" not in SUPPORTED_SUFFIXES:
        pytest.skip("this Pillow build has no AVIF codec")
    path = tmp_path / "cat.avif"
    chelsea.save(path, quality=90)
    assert psnr(rgb(open_image(path, EXACT)), rgb(chelsea)) > 30


@pytest.fixture(scope="module")
def large_jpeg(tmp_path_factory: pytest.TempPathFactory, sample_photos_dir: Path) -> Path:
    """A 3000x2000 photo-like JPEG: an upscaled photo with fine noise, quality 92."""
    base = Image.open(sample_photos_dir / "astronaut.png").convert("RGB").resize((3000, 2000))
    noise = np.random.default_rng(7).normal(0, 6, size=(2000, 3000, 3))
    pixels = np.clip(np.asarray(base, np.float64) + noise, 0, 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("large") / "big.jpg"
    Image.fromarray(pixels).save(path, quality=92)
    return path


def test_fast_profile_decodes_smaller_but_keeps_grid_and_quality(large_jpeg: Path) -> None:
    fast_image = open_image(large_jpeg, FAST)
    # 3000x2000 needs a 3x2 grid = 1344x896 pixels; 1/2 scale (1500x1000) is the smallest >= it.
    assert fast_image.size == (1500, 1000)
    assert fast_image.info[FULL_SIZE_KEY] == (3000, 2000)
    exact = load_pixels(large_jpeg, EXACT)
    fast = load_pixels(large_jpeg, FAST)
    assert exact.shape == fast.shape == (7, 3, 448, 448)
    std = np.array([0.229, 0.224, 0.225])[None, :, None, None]
    in_pixels = [t.numpy() * std * 255 for t in (exact, fast)]
    assert psnr(*in_pixels) > 30
    assert not np.array_equal(exact.numpy(), fast.numpy())  # it really is a different profile


def test_fast_profile_respects_exif_rotation(tmp_path: Path, large_jpeg: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "tall.jpg"
    Image.open(large_jpeg).transpose(Image.Transpose.ROTATE_90).save(path, quality=92, exif=exif)
    fast = open_image(path, FAST)
    assert fast.info[FULL_SIZE_KEY] == (3000, 2000) and fast.size == (1500, 1000)
    assert load_pixels(path, FAST).shape == load_pixels(path, EXACT).shape


def test_multi_picture_jpeg_gives_first_picture_and_drafts(
    tmp_path: Path, large_jpeg: Path
) -> None:
    first = Image.open(large_jpeg)
    path = tmp_path / "DSCF0001.JPG"  # cameras write MPO files with a .JPG name
    first.save(path, "MPO", save_all=True, append_images=[Image.new("RGB", (640, 480), "blue")])
    assert Image.open(path).format == "MPO"
    exact = open_image(path, EXACT)
    assert exact.size == (3000, 2000) and psnr(rgb(exact), rgb(first.convert("RGB"))) > 35
    assert open_image(path, FAST).size == (1500, 1000)


def test_exact_profile_matches_pixel_values_of_the_full_decode(large_jpeg: Path) -> None:
    full = Image.open(large_jpeg).convert("RGB")
    np.testing.assert_array_equal(
        load_pixels(large_jpeg, EXACT).numpy(), pixel_values(full).numpy()
    )


def test_fast_profile_decodes_other_formats_exactly(tmp_path: Path, chelsea) -> None:
    path = tmp_path / "cat.png"
    chelsea.save(path)
    np.testing.assert_array_equal(load_pixels(path, FAST).numpy(), load_pixels(path, EXACT).numpy())
