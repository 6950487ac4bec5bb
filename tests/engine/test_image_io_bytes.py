"""Decoding from bytes already read (what a cluster job ships) gives the tiles decoding the file gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import (
    EmptyImageFileError,
    TruncatedImageError,
    UnsupportedFormatError,
    load_pixels,
)
from tests.engine.test_image_io_raw import jpeg_bytes, tiff_raw
from tests.support.photos import sample_photos

PROFILES = [PreprocessProfile(max_tiles=4), PreprocessProfile(max_tiles=6, decode="fast")]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
@pytest.mark.parametrize("photo", sample_photos(), ids=lambda p: p.name)
def test_tiles_from_bytes_equal_tiles_from_the_file(photo: Path, profile) -> None:
    from_file = load_pixels(photo, profile)
    from_bytes = load_pixels(Path("/elsewhere") / photo.name, profile, data=photo.read_bytes())
    assert torch.equal(from_file, from_bytes)


def test_raw_preview_from_bytes(tmp_path: Path, sample_photos_dir: Path) -> None:
    upright = Image.open(sample_photos_dir / "astronaut.png").convert("RGB")
    raw = tmp_path / "shot.dng"
    raw.write_bytes(tiff_raw(jpeg_bytes(upright), jpeg_bytes(upright.resize((64, 64))), 6, None))
    profile = PreprocessProfile(max_tiles=2)
    assert torch.equal(load_pixels(raw, profile), load_pixels(raw, profile, data=raw.read_bytes()))


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("empty.jpg", b"", EmptyImageFileError),
        ("cut.jpg", None, TruncatedImageError),
        ("no_preview.nef", b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64, UnsupportedFormatError),
    ],
)
def test_bad_bytes_raise_the_errors_a_bad_file_raises(name, data, error, sample_photos_dir):
    if data is None:  # a JPEG cut in the middle of its scan data
        whole = (sample_photos_dir / "rocket.jpg").read_bytes()
        data = whole[: len(whole) // 2]
    with pytest.raises(error) as raised:
        load_pixels(Path("/cluster/photos") / name, PreprocessProfile(max_tiles=1), data=data)
    assert name in str(raised.value)
