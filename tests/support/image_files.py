"""Image files of every format the engine reads, built in memory for tests (nothing committed).

`FORMATS` maps a short name to (file suffix, builder); each builder turns an RGB picture into the
bytes of one file of that format. The RAW builders imitate the three container families the
engine meets: TIFF-structured RAW (CR2, NEF, DNG, ARW...), Fujifilm's RAF (its own header,
the preview found by scanning) and Canon's CR3 (ISO media boxes, IFD0 in a CMT1 box).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import numpy as np
from PIL import Image, features

Builder = Callable[[Image.Image], bytes]


def picture(width: int = 320, height: int = 240, seed: int = 7) -> Image.Image:
    """A smooth colour picture with some texture (compresses like a photo, not like noise)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    return Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    """The bytes Pillow writes for `image` in format `fmt`."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(image: Image.Image, **options) -> bytes:
    return saved(image.convert("RGB"), "JPEG", quality=90, **options)


def jpeg_with_orientation(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return jpeg(image, exif=exif.tobytes())


def grey16(image: Image.Image) -> Image.Image:
    """The picture as 16-bit greyscale using the full 0..65535 range (as scanners write it)."""
    grey = np.asarray(image.convert("L")).astype(np.uint16) * 257
    return Image.fromarray(grey)


def _tiff_ifd(entries: list[tuple[int, int, int, int]], order: str = "<") -> bytes:
    """One IFD (no next IFD) of 12-byte entries: (tag, type, count, value or offset)."""
    packed = b"".join(
        struct.pack(order + "HHIHH", tag, kind, count, value, 0)
        if kind == 3 and count == 1
        else struct.pack(order + "HHII", tag, kind, count, value)
        for tag, kind, count, value in entries
    )
    return struct.pack(order + "H", len(entries)) + packed + b"\x00\x00\x00\x00"


def _sensor_noise(size: int, seed: int = 5) -> bytes:
    data = bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8))
    return data.replace(b"\xff", b"\xfe")  # no stray JPEG markers inside the "sensor data"


def tiff_raw(image: Image.Image, orientation: int = 1) -> bytes:
    """A CR2/NEF/DNG-shaped file: IFD0 (orientation, JPEGInterchangeFormat -> the preview)."""
    preview = jpeg(image)
    header_size, entries = 8, 3
    ifd_size = 2 + 12 * entries + 4
    sensor = _sensor_noise(20_000)
    preview_at = header_size + ifd_size + len(sensor)
    ifd0 = _tiff_ifd(
        [(0x0112, 3, 1, orientation), (0x0201, 4, 1, preview_at), (0x0202, 4, 1, len(preview))]
    )
    return b"II*\x00" + struct.pack("<I", header_size) + ifd0 + sensor + preview


def raf_like(image: Image.Image) -> bytes:
    """A Fujifilm RAF-shaped file: its own text header, then the preview JPEG, then sensor data."""
    header = b"FUJIFILMCCD-RAW 0201FF393101" + b"\x00" * 64
    return header + jpeg(image) + _sensor_noise(20_000)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def cr3_like(image: Image.Image, orientation: int = 1) -> bytes:
    """A Canon CR3-shaped file: ftyp 'crx ', a moov box whose CMT1 box holds IFD0, the preview."""
    ifd0 = b"II*\x00" + struct.pack("<I", 8) + _tiff_ifd([(0x0112, 3, 1, orientation)])
    moov = _box(b"moov", _box(b"CMT1", ifd0))
    preview = _box(b"PRVW", jpeg(image))
    return _box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + moov + preview + _sensor_noise(20_000)


def heic(image: Image.Image) -> bytes:
    from pillow_heif import from_pillow

    buffer = io.BytesIO()
    from_pillow(image.convert("RGB")).save(buffer, quality=80)
    return buffer.getvalue()


FORMATS: dict[str, tuple[str, Builder]] = {
    "jpeg": (".jpg", jpeg),
    "jpeg-progressive": (".jpg", lambda im: jpeg(im, progressive=True)),
    "jpeg-rotated": (".jpg", lambda im: jpeg_with_orientation(im, 6)),
    "png": (".png", lambda im: saved(im, "PNG")),
    "png-rgba": (".png", lambda im: saved(im.convert("RGBA"), "PNG")),
    "png-16bit": (".png", lambda im: saved(grey16(im), "PNG")),
    "webp": (".webp", lambda im: saved(im, "WEBP", quality=80)),
    "webp-lossless": (".webp", lambda im: saved(im, "WEBP", lossless=True)),
    "tiff": (".tif", lambda im: saved(im, "TIFF")),
    "tiff-deflate": (".tiff", lambda im: saved(im, "TIFF", compression="tiff_adobe_deflate")),
    "tiff-jpeg": (".tif", lambda im: saved(im, "TIFF", compression="jpeg")),
    "bmp": (".bmp", lambda im: saved(im, "BMP")),
    "gif": (".gif", lambda im: saved(im, "GIF")),
    "heic": (".heic", heic),
    "raw-tiff": (".cr2", lambda im: tiff_raw(im, orientation=8)),
    "raw-raf": (".raf", raf_like),
    "raw-cr3": (".cr3", lambda im: cr3_like(im, orientation=3)),
}
if features.check("avif"):
    FORMATS["avif"] = (".avif", lambda im: saved(im, "AVIF", quality=70))


def build(name: str, image: Image.Image | None = None) -> tuple[str, bytes]:
    """(suffix, file bytes) of format `name` holding `image` (a default picture if None)."""
    suffix, builder = FORMATS[name]
    return suffix, builder(image if image is not None else picture())


def truncations(data: bytes, count: int) -> list[int]:
    """`count` cut points spread over the file, denser near the start (headers live there)."""
    size = len(data)
    points = {1, 2, 4, 8, 12, 16, 24, 32, 64, 100, 200, 500, size - 1, size - 2, size - 16}
    points |= {round(size * (i / count) ** 2) for i in range(1, count)}
    return sorted(p for p in points if 0 < p < size)


def flipped(data: bytes, seed: int, flips: int = 3) -> bytes:
    """`data` with `flips` random bytes XOR-ed by random non-zero values."""
    rng = np.random.default_rng(seed)
    damaged = bytearray(data)
    for position in rng.integers(0, len(data), flips):
        damaged[position] ^= int(rng.integers(1, 256))
    return bytes(damaged)
