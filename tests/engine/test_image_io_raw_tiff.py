"""RAW previews found through the TIFF structure, reading only a small part of the file.

The files are built here with a tiny TIFF writer: IFD0 with orientation, an Exif IFD with the
capture time, a thumbnail through JPEGInterchangeFormat, a SubIFD whose single JPEG strip is the
large preview (as in NEF and DNG), megabytes of sensor data between them.
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
from humanaes_desktop.engine.images.loading import open_image, read_image_info
from humanaes_desktop.engine.images.raw_preview import read_raw_preview

EXACT = PreprocessProfile()
SHORT, LONG, ASCII, UNDEFINED = 3, 4, 2, 7


class TinyTiff:
    """Appends blobs and IFDs to a TIFF byte string; offsets are relative to its start."""

    def __init__(self, order: str = "<", magic: int = 42) -> None:
        self.order = order
        mark = b"II" if order == "<" else b"MM"
        self.body = bytearray(mark + struct.pack(order + "HI", magic, 0))

    def blob(self, data: bytes) -> int:
        offset = len(self.body)
        self.body += data + (b"\x00" if len(data) % 2 else b"")
        return offset

    def ifd(self, entries: list[tuple[int, int, int, int | bytes]], next_ifd: int = 0) -> int:
        packed = []
        for tag, kind, count, value in entries:
            if isinstance(value, bytes):
                value = self.blob(value)
            if kind == SHORT and count == 1:
                packed.append(struct.pack(self.order + "HHIHH", tag, kind, count, value, 0))
            else:
                packed.append(struct.pack(self.order + "HHII", tag, kind, count, value))
        offset = len(self.body)
        self.body += struct.pack(self.order + "H", len(packed)) + b"".join(packed)
        self.body += struct.pack(self.order + "I", next_ifd)
        return offset

    def finish(self, ifd0: int) -> bytes:
        self.body[4:8] = struct.pack(self.order + "I", ifd0)
        return bytes(self.body)


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it."""

    total = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.total += len(data)
        return data


def jpeg_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def stored() -> Image.Image:
    """The preview as the camera stored it (landscape sensor), random texture."""
    pixels = np.random.default_rng(11).integers(0, 256, (100, 150, 3), dtype=np.uint8)
    return Image.fromarray(pixels).resize((1200, 800), Image.Resampling.BICUBIC)


SENSOR = bytes(np.random.default_rng(5).integers(0, 256, 3_000_000, dtype=np.uint8))


def nef_like(stored: Image.Image, order: str, orientation: int) -> tuple[bytes, bytes]:
    """(file bytes, preview JPEG bytes) of a NEF/DNG-shaped RAW file."""
    tiff = TinyTiff(order)
    thumb = jpeg_bytes(stored.resize((160, 107)))
    preview = jpeg_bytes(stored, quality=95)
    thumb_at = tiff.blob(thumb)
    tiff.blob(SENSOR)
    preview_at = tiff.blob(preview)
    exif = tiff.ifd([(0x9003, ASCII, 20, b"2021:05:01 09:15:30\x00")])
    sub = tiff.ifd(
        [(0x103, SHORT, 1, 7), (0x111, LONG, 1, preview_at), (0x117, LONG, 1, len(preview))]
    )
    ifd0 = tiff.ifd(
        [(0x112, SHORT, 1, orientation), (0x14A, LONG, 1, sub), (0x201, LONG, 1, thumb_at)]
        + [(0x202, LONG, 1, len(thumb)), (0x8769, LONG, 1, exif)]
    )
    return tiff.finish(ifd0), preview


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_preview_through_subifd_reads_a_fraction_of_the_file(tmp_path, stored, order) -> None:
    data, preview = nef_like(stored, order, orientation=8)
    path = tmp_path / "DSC_0001.NEF"
    path.write_bytes(data)
    with CountingFile(path, "rb") as file:
        found = read_raw_preview(file)
        assert found.jpeg == preview and (found.width, found.height) == (1200, 800)
        assert file.total < len(preview) + 600_000 < len(data) // 3
    assert found.orientation == 8 and found.datetime_original == "2021:05:01 09:15:30"
    upright = stored.transpose(Image.Transpose.ROTATE_90)  # orientation 8 turns it left
    result = open_image(path, EXACT)
    assert result.size == (800, 1200)
    assert np.abs(np.asarray(result, np.int16) - np.asarray(upright, np.int16)).mean() < 4
    info = read_image_info(path)
    assert (info.width, info.height) == (800, 1200)
    assert info.captured_at == datetime(2021, 5, 1, 9, 15, 30).timestamp()


def test_rw2_style_embedded_jpeg_tag(tmp_path: Path, stored: Image.Image) -> None:
    tiff = TinyTiff("<", magic=0x55)
    preview = jpeg_bytes(stored)
    tiff.blob(SENSOR[:100_000])
    ifd0 = tiff.ifd([(0x2E, UNDEFINED, len(preview), preview)])
    path = tmp_path / "P1000001.RW2"
    path.write_bytes(tiff.finish(ifd0))
    assert open_image(path, EXACT).size == (1200, 800)


def test_only_a_thumbnail_in_the_ifds_falls_back_to_scanning(tmp_path, stored) -> None:
    # As in ORF: IFD0 points at a thumbnail; the large preview sits in maker notes.
    tiff = TinyTiff("<", magic=0x4F52)
    thumb = jpeg_bytes(stored.resize((160, 107)))
    thumb_at = tiff.blob(thumb)
    tiff.blob(SENSOR[:200_000])
    tiff.blob(jpeg_bytes(stored, quality=95))
    ifd0 = tiff.ifd([(0x201, LONG, 1, thumb_at), (0x202, LONG, 1, len(thumb))])
    path = tmp_path / "P7010001.ORF"
    path.write_bytes(tiff.finish(ifd0))
    assert open_image(path, EXACT).size == (1200, 800)


def test_ifd_loops_do_not_hang(tmp_path: Path, stored: Image.Image) -> None:
    tiff = TinyTiff("<")
    preview = jpeg_bytes(stored)
    preview_at = tiff.blob(preview)
    first = len(tiff.body)
    # IFD0 chains to itself and lists itself as its own SubIFD.
    ifd0 = tiff.ifd(
        [(0x14A, LONG, 1, first), (0x201, LONG, 1, preview_at), (0x202, LONG, 1, len(preview))],
        next_ifd=first,
    )
    assert ifd0 == first
    path = tmp_path / "loop.dng"
    path.write_bytes(tiff.finish(ifd0))
    assert open_image(path, EXACT).size == (1200, 800)
