"""Bad inputs give a specific, readable error; odd but valid ones give correct pixels."""

from __future__ import annotations

import pickle
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import (
    EmptyImageFileError,
    ImageLoadError,
    ImageTemporarilyUnavailableError,
    ImageTooLargeError,
    TruncatedImageError,
    UnreadableImageError,
    load_pixels,
    open_image,
    read_image_info,
)
from humanaes_desktop.errors import UserError

EXACT = PreprocessProfile()


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares width x height; its pixel data is a few bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    data += chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(data)
    return path


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    for call in (lambda: open_image(path, EXACT), lambda: read_image_info(path)):
        with pytest.raises(EmptyImageFileError) as caught:
            call()
        assert caught.value.permanent
        assert "empty.jpg" in str(caught.value) and "empty" in str(caught.value)
        assert isinstance(caught.value, UserError)


def test_truncated_jpeg(tmp_path: Path, sample_photos_dir: Path) -> None:
    data = (sample_photos_dir / "grace_hopper.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedImageError) as caught:
        load_pixels(path, EXACT)
    assert caught.value.permanent
    assert "cut.jpg" in str(caught.value)


def test_png_cut_inside_its_header_is_reported_as_damaged_not_as_unknown(
    tmp_path: Path, sample_photos_dir: Path
) -> None:
    path = tmp_path / "stub.png"
    path.write_bytes((sample_photos_dir / "chelsea.png").read_bytes()[:20])
    with pytest.raises(TruncatedImageError):
        open_image(path, EXACT)


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n")
    for call in (lambda: open_image(path, EXACT), lambda: read_image_info(path)):
        with pytest.raises(UnreadableImageError) as caught:
            call()
        assert caught.value.permanent
        assert "notes.jpg" in str(caught.value) and "not an image" in str(caught.value)


@pytest.mark.parametrize("size", [(100_000, 100_000), (20_000, 15_000)], ids=["10GP", "300MP"])
def test_decompression_bomb_is_refused_without_decoding(tmp_path: Path, size) -> None:
    path = png_header_only(tmp_path / "bomb.png", *size)
    with warnings.catch_warnings():
        # Even where Pillow's own bomb warning is an error, the caller gets our specific error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        for call in (lambda: open_image(path, EXACT), lambda: read_image_info(path)):
            with pytest.raises(ImageTooLargeError) as caught:
                call()
            assert caught.value.permanent and "bomb.png" in str(caught.value)


def test_pixel_limit_is_a_parameter(tmp_path: Path, sample_photos_dir: Path) -> None:
    path = sample_photos_dir / "chelsea.png"  # 451 x 300 = 135,300 pixels
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        open_image(path, EXACT, max_pixels=100_000)
    assert open_image(path, EXACT, max_pixels=200_000).size == (451, 300)


def test_errors_survive_pickling_with_their_message(tmp_path: Path) -> None:
    error = TruncatedImageError(tmp_path / "x.jpg", "cut short")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is TruncatedImageError and str(copy) == str(error) and copy.permanent
    assert copy.path == error.path


def test_missing_file_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "gone.jpg"
    with pytest.raises(ImageTemporarilyUnavailableError) as caught:
        open_image(path, EXACT)
    assert caught.value.permanent is False
    assert isinstance(caught.value, ImageLoadError)
    with pytest.raises(ImageTemporarilyUnavailableError):
        read_image_info(path)


def test_folder_named_like_an_image_is_unreadable(tmp_path: Path) -> None:
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    with pytest.raises(UnreadableImageError):
        open_image(folder, EXACT)


def test_one_pixel_image(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (200, 10, 30)).save(path)
    pixels = load_pixels(path, EXACT)
    assert pixels.shape == (1, 3, 448, 448)
    # Every pixel of the single tile is the dot's colour, normalised.
    red = (200 / 255 - 0.485) / 0.229
    assert np.allclose(pixels[0, 0].numpy(), red, atol=1e-5)


def test_panorama_gets_twelve_tiles_and_a_thumbnail(
    tmp_path: Path, sample_photos_dir: Path
) -> None:
    path = tmp_path / "pano.jpg"
    Image.open(sample_photos_dir / "rocket.jpg").convert("RGB").resize((10000, 100)).save(path)
    assert load_pixels(path, EXACT).shape == (13, 3, 448, 448)
    assert load_pixels(path, PreprocessProfile(max_tiles=6)).shape == (7, 3, 448, 448)


def test_unknown_decode_profile_is_refused(sample_photos_dir: Path) -> None:
    with pytest.raises(ValueError, match="decode"):
        open_image(sample_photos_dir / "chelsea.png", PreprocessProfile(decode="turbo"))


def test_module_does_not_import_torch() -> None:
    # The library scanner and the UI import image_io; torch must stay out of their processes.
    code = "import sys, humanaes_desktop.engine.images.loading; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
