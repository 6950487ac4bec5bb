"""A folder of the files a real photo library holds when things go wrong, with what each should give.

`write_corpus(folder)` writes every failure class we found (by fuzzing and by hand) next to good
files of every family, and returns {file name: Expected}. `error` is the `humanaes score` error
code (None: the file scores), `status` the library status after a scan. Built on the fly: the
files are small and nothing is committed.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.support.image_files import build, jpeg, picture, saved


@dataclass(frozen=True)
class Expected:
    error: str | None  # `humanaes score` error code; None when the file scores
    # The library's status after a scan (queued, failed, unsupported): the scan reads headers
    # only, so damage to the pixel data of some formats waits for the worker to find it.
    status: str
    what: str  # the failure class, for the report


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid-looking PNG header claiming width x height pixels, with one tiny IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x80" * 3 * 8)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)


def _flip(data: bytes, at: int) -> bytes:
    damaged = bytearray(data)
    damaged[at] ^= 0xFF
    return bytes(damaged)


def _cut(name: str, fraction: float) -> bytes:
    data = build(name)[1]
    return data[: int(len(data) * fraction)]


def _corpus_bytes() -> dict[str, tuple[bytes, Expected]]:
    png = build("png")[1]
    idat = png.find(b"IDAT")
    ok = "queued"
    scores = {
        "good.jpg": (build("jpeg")[1], "a plain JPEG"),
        "good.png": (png, "a plain PNG"),
        "good.heic": (build("heic")[1], "HEIC"),
        "good.cr2": (build("raw-tiff")[1], "TIFF-based RAW (CR2/NEF/DNG)"),
        "good.raf": (build("raw-raf")[1], "Fujifilm RAF"),
        "good.cr3": (build("raw-cr3")[1], "Canon CR3"),
        "heic_named.jpg": (build("heic")[1], "a HEIC file named .jpg"),
        "jpeg_named.png": (build("jpeg")[1], "a JPEG file named .png"),
        "cmyk.jpg": (saved(picture().convert("CMYK"), "JPEG"), "CMYK JPEG"),
        "damaged_exif.jpg": (_damaged_exif_jpeg(), "a JPEG whose EXIF block is garbage"),
    }
    corpus = {name: (data, Expected(None, ok, what)) for name, (data, what) in scores.items()}
    failures = {
        "empty.jpg": (b"", "empty_image_file", "an empty file"),
        "text.jpg": (b"this is not a photo\n" * 20, "unreadable_image", "text named .jpg"),
        "cut_header.png": (png[:20], "truncated_image", "PNG cut inside its header"),
        "cut_pixels.png": (png[: idat + 60], "truncated_image", "PNG cut in its pixel data"),
        "bad_crc.png": (_flip(png, 29), "truncated_image", "PNG with a damaged header CRC"),
        "bad_zlib.png": (_flip(png, idat + 6), "truncated_image", "PNG with a broken zlib stream"),
        "cut.jpg": (_cut("jpeg", 0.5), "truncated_image", "JPEG cut in half"),
        "cut.webp": (_cut("webp", 0.5), "truncated_image", "WebP cut in half"),
        "cut.gif": (_cut("gif", 0.5), "truncated_image", "GIF cut in half"),
        "cut.bmp": (_cut("bmp", 0.5), "truncated_image", "BMP cut in half"),
        "cut.tif": (_cut("tiff-deflate", 0.5), "truncated_image", "deflate TIFF cut in half"),
        "cut.heic": (_cut("heic", 0.5), "truncated_image", "HEIC cut in half"),
        "cut_preview.nef": (_cut("raw-tiff", 0.9), "truncated_image", "RAW cut in its preview"),
        "no_preview.dng": (_raw_without_preview(), "unsupported_format", "RAW without a preview"),
        "bomb.png": (bomb_png(), "image_too_large", "a 400-megapixel decompression bomb"),
    }
    for name, (data, code, what) in failures.items():
        status = "unsupported" if code == "unsupported_format" else "failed"
        if name in _DAMAGE_BEYOND_THE_HEADER:
            status = ok
        corpus[name] = (data, Expected(code, status, what))
    if "avif" in _formats():
        corpus["cut.avif"] = (_cut("avif", 0.5), Expected("truncated_image", "failed", "AVIF cut"))
    return corpus


# Damage a scan's header read cannot see (the pixels are not decoded): queued by the scan,
# failed by the worker.
_DAMAGE_BEYOND_THE_HEADER = frozenset({"cut.jpg", "cut.gif", "cut.bmp", "cut.heic"})


def _formats() -> set[str]:
    from tests.support.image_files import FORMATS

    return set(FORMATS)


def _damaged_exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 1
    data = jpeg(picture(), exif=exif.tobytes())
    at = data.find(b"Exif\x00\x00") + 6
    return data[:at] + b"XX" + data[at + 2 :]  # not a TIFF header any more


def _raw_without_preview() -> bytes:
    return b"II*\x00" + struct.pack("<I", 8) + b"\x00\x00" + bytes(range(256)) * 40


def write_corpus(folder: Path) -> dict[str, Expected]:
    """Write the corpus into `folder`; returns what each file should give."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (data, outcome) in _corpus_bytes().items():
        (folder / name).write_bytes(data)
        expected[name] = outcome
    return expected
