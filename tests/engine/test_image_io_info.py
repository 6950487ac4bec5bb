"""Header-only image facts for the scanner, and which file names the scanner should pick up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.info import exif_timestamp
from humanaes_desktop.engine.images.loading import (
    TruncatedImageError,
    is_supported_path,
    open_image,
    read_image_info,
)


def save_with_exif(path: Path, source: Path, tags: dict[int, str]) -> Path:
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd.update(tags)
    Image.open(source).convert("RGB").save(path, exif=exif, quality=90)
    return path


def test_capture_time_without_zone_is_local_time(tmp_path: Path, sample_photos_dir: Path) -> None:
    path = save_with_exif(tmp_path / "a.jpg", sample_photos_dir / "chelsea.png",
                          {0x9003: "2023:12:24 19:45:00"})  # fmt: skip
    info = read_image_info(path)
    assert (info.width, info.height) == (451, 300)
    assert info.captured_at == datetime(2023, 12, 24, 19, 45).timestamp()


def test_capture_time_with_zone_offset_is_exact(tmp_path: Path, sample_photos_dir: Path) -> None:
    path = save_with_exif(tmp_path / "b.jpg", sample_photos_dir / "chelsea.png",
                          {0x9003: "2023:12:24 19:45:00", 0x9011: "+02:00"})  # fmt: skip
    expected = datetime(2023, 12, 24, 19, 45, tzinfo=timezone(timedelta(hours=2))).timestamp()
    assert read_image_info(path).captured_at == expected


def test_no_or_invalid_capture_time_is_none(tmp_path: Path, sample_photos_dir: Path) -> None:
    assert read_image_info(sample_photos_dir / "chelsea.png").captured_at is None
    path = save_with_exif(tmp_path / "c.jpg", sample_photos_dir / "chelsea.png",
                          {0x9003: "0000:00:00 00:00:00"})  # fmt: skip
    assert read_image_info(path).captured_at is None
    assert exif_timestamp("not a date") is None
    assert exif_timestamp(b"2020:01:02 03:04:05") == datetime(2020, 1, 2, 3, 4, 5).timestamp()


def test_info_reads_the_header_only(tmp_path: Path, sample_photos_dir: Path) -> None:
    # The second half of the pixel data is missing: a full decode fails, the header read works.
    data = (sample_photos_dir / "grace_hopper.jpg").read_bytes()
    path = tmp_path / "half.jpg"
    path.write_bytes(data[: len(data) // 2])
    info = read_image_info(path)
    assert (info.width, info.height) == (512, 600)
    with pytest.raises(TruncatedImageError):
        open_image(path, PreprocessProfile())


@pytest.mark.parametrize(
    "name",
    ["IMG_1.JPG", "a.jpeg", "b.png", "c.webp", "d.tif", "e.TIFF", "f.bmp", "g.gif", "h.heic"]
    + ["i.HEIF", "j.dng", "k.CR2", "l.nef", "m.arw", "n.orf", "o.rw2", "p.raf", "dir/q.jpg"],
)
def test_supported_names(name: str) -> None:
    assert is_supported_path(Path("/photos") / name)


@pytest.mark.parametrize(
    "name",
    [".hidden.jpg", "._IMG_1.JPG", "~$draft.jpg", "movie.jpg.part", "x.jpg.crdownload"]
    + ["y.tmp", "notes.txt", "clip.mov", "noext", "archive.jpg.zip", "z.jpg.download"],
)
def test_ignored_names(name: str) -> None:
    assert not is_supported_path(Path("/photos") / name)
