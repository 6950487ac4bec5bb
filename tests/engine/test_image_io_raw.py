"""RAW files decode through their largest embedded JPEG preview.

The RAW files here are built in the test: a little-endian TIFF header whose IFD0 holds the
orientation and a pointer to an Exif IFD with the capture time (as in DNG, CR2, NEF, ARW), then
a small thumbnail JPEG, "sensor data" that contains stray JPEG start markers and a lossless-JPEG
stream (how DNG/CR2 store sensor data; Pillow cannot decode it and it must be skipped even though
it claims the largest size), and finally the large preview JPEG.
"""

from __future__ import annotations

import io
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import (
    SUPPORTED_SUFFIXES,
    UnsupportedFormatError,
    load_pixels,
    open_image,
    read_image_info,
)
from humanaes_desktop.engine.images.raw_preview import find_embedded_jpegs

EXACT = PreprocessProfile()


def jpeg_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def lossless_jpeg_stub(width: int, height: int) -> bytes:
    """SOI + SOF3 (lossless) frame header + SOS + data + EOI: looks like a JPEG, is not decodable."""
    sof3 = b"\xff\xc3" + struct.pack(">HBHHB", 11, 16, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + sof3 + sos + bytes(range(200)) + b"\xff\xd9"


def tiff_raw(preview: bytes, thumbnail: bytes, orientation: int, taken: str | None) -> bytes:
    """A TIFF-structured RAW file holding the given JPEGs."""
    entries = [(0x0112, 3, 1, orientation), (0x8769, 4, 1, 38)]
    ifd0 = struct.pack("<H", len(entries))
    ifd0 += b"".join(struct.pack("<HHII", *entry) for entry in entries) + struct.pack("<I", 0)
    exif_entries = [] if taken is None else [(0x9003, 2, 20, 68)]
    exif = struct.pack("<H", len(exif_entries))
    exif += b"".join(struct.pack("<HHII", *entry) for entry in exif_entries) + b"\x00" * 4
    exif = exif.ljust(30, b"\x00")
    strings = (taken or "").encode().ljust(20, b"\x00")
    sensor = bytes(np.random.default_rng(3).integers(0, 256, 50_000, dtype=np.uint8))
    sensor = sensor[:1000] + b"\xff\xd8\xff\xe0garbage" + sensor[1000:]
    body = thumbnail + sensor + lossless_jpeg_stub(8000, 6000) + sensor + preview
    return b"II*\x00" + struct.pack("<I", 8) + ifd0 + exif + strings + body


@pytest.fixture
def upright(sample_photos_dir: Path) -> Image.Image:
    return Image.open(sample_photos_dir / "rocket.jpg").convert("RGB").resize((1200, 800))


def test_largest_decodable_preview_is_used(tmp_path: Path, upright: Image.Image) -> None:
    preview = jpeg_bytes(upright, quality=95)
    thumb = jpeg_bytes(upright.resize((160, 120)))
    path = tmp_path / "IMG_0001.CR2"
    path.write_bytes(tiff_raw(preview, thumb, orientation=1, taken=None))
    found = find_embedded_jpegs(path.read_bytes())
    assert [(j.width, j.height) for j in found] == [(160, 120), (1200, 800)]
    result = open_image(path, EXACT)
    expected = np.asarray(Image.open(io.BytesIO(preview)).convert("RGB"))
    np.testing.assert_array_equal(np.asarray(result), expected)
    assert load_pixels(path, EXACT).shape == (7, 3, 448, 448)


def test_container_orientation_and_capture_time(tmp_path: Path, upright: Image.Image) -> None:
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # camera held upright: orientation 6
    raw = tiff_raw(jpeg_bytes(stored, quality=95), jpeg_bytes(stored.resize((120, 160))), 6,
                   "2024:07:14 18:30:05")  # fmt: skip
    path = tmp_path / "DSC_0042.nef"
    path.write_bytes(raw)
    result = open_image(path, EXACT)
    assert result.size == (1200, 800)
    difference = np.abs(np.asarray(result, np.int16) - np.asarray(upright, np.int16)).mean()
    assert difference < 6
    info = read_image_info(path)
    assert (info.width, info.height) == (1200, 800)
    assert info.captured_at == datetime(2024, 7, 14, 18, 30, 5).timestamp()


def test_fast_profile_on_a_raw_preview(tmp_path: Path, upright: Image.Image) -> None:
    big = upright.resize((3600, 2400))
    path = tmp_path / "big.dng"
    path.write_bytes(tiff_raw(jpeg_bytes(big, quality=90), jpeg_bytes(upright), 1, None))
    fast = open_image(path, PreprocessProfile(decode="fast"))
    assert fast.size == (1800, 1200)
    assert load_pixels(path, PreprocessProfile(decode="fast")).shape == (7, 3, 448, 448)


def test_raw_without_a_preview_is_unsupported_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "odd.arw"
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + lossless_jpeg_stub(4000, 3000))
    with pytest.raises(UnsupportedFormatError, match="odd.arw.*preview") as caught:
        open_image(path, EXACT)
    assert caught.value.permanent


def test_common_raw_suffixes_are_supported() -> None:
    assert {".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf"} <= SUPPORTED_SUFFIXES
