"""Camera RAW files, read through the largest JPEG preview the camera embedded in them.

Nearly every RAW format (TIFF-based DNG, CR2, NEF, ARW, PEF, SRW, ORF, RW2, and also RAF and CR3)
carries a full-size or near-full-size JPEG rendering made by the camera. Demosaicing the sensor
data is out of scope; we decode that preview.

Finding it: first through the TIFF structure (`raw_tiff`), which reads only a few KB plus the
preview. When that yields nothing of useful size (RAF and CR3 are not TIFF; ORF keeps its large
preview in maker notes), the whole file is scanned for JPEG start-of-image markers and each hit's
segment headers are walked. Either way only JPEGs Pillow can decode count (baseline or
progressive; lossless JPEG is how DNG and CR2 store the sensor data itself), and the largest wins.

The preview's own EXIF usually lacks the orientation; the RAW container's IFD0 has it (for CR3,
the TIFF block in its CMT1 box), and its Exif IFD has the capture time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from humanaes_desktop.engine.images.raw_tiff import (
    TAG_EXIF_IFD,
    TAG_ORIENTATION,
    ByteSource,
    BytesSource,
    FileSource,
    TagValue,
    jpeg_ranges,
    open_tiff,
    read_ifd,
    walk_ifds,
)

RAW_SUFFIXES = frozenset(
    {".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".pef", ".srw", ".orf"}
    | {".rw2", ".raf"}
)

# A preview found through the TIFF structure is used when its long side is at least this;
# smaller ones are thumbnails, and the whole file is scanned for something better.
USEFUL_LONG_SIDE = 1024

_SOI = b"\xff\xd8\xff"
_EOI = b"\xff\xd9"
# Start-of-frame markers Pillow decodes: baseline, extended sequential, progressive.
_DECODABLE_SOF = frozenset({0xC0, 0xC1, 0xC2})
# Other start-of-frame markers (lossless, hierarchical, arithmetic): not decodable by Pillow.
_OTHER_SOF = frozenset({0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SOS = 0xDA
_HEADER_PROBE = 256 * 1024  # JPEG headers (EXIF, maker notes) fit in this before the frame

TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011


@dataclass(frozen=True)
class EmbeddedJpeg:
    """Where one decodable JPEG sits inside a file, and its pixel size from its frame header."""

    offset: int
    length: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class RawPreview:
    """The bytes of a RAW file's largest preview plus what the container says about it."""

    jpeg: bytes
    width: int
    height: int
    orientation: int | None  # from the container; None when it does not say
    datetime_original: str | None
    offset_time_original: str | None


class NoPreviewError(ValueError):
    """The RAW file holds no JPEG preview that can be decoded."""


class IncompletePreviewError(NoPreviewError):
    """A decodable preview starts in the file but never ends: the file was cut short."""


def find_embedded_jpegs(data: bytes) -> list[EmbeddedJpeg]:
    """Every complete, decodable JPEG stream in `data`, in file order."""
    found = []
    position = data.find(_SOI)
    while position != -1:
        jpeg = _parse_jpeg_at(data, position)
        if jpeg is None:
            position = data.find(_SOI, position + 1)
        else:
            found.append(jpeg)
            position = data.find(_SOI, jpeg.offset + jpeg.length)
    return found


def _frame_header(data: bytes, start: int) -> tuple[int, int, int] | None:
    """(width, height, end of the SOS segment) of a decodable JPEG at `start`, else None."""
    if data[start : start + 3] != _SOI:
        return None
    index, size = start + 2, None
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte before a marker
            index += 1
            continue
        if marker in _OTHER_SOF or marker in (0x00, 0x01, 0xD8) or 0xD0 <= marker <= 0xD9:
            return None
        segment_length = int.from_bytes(data[index + 2 : index + 4], "big")
        if segment_length < 2:
            return None
        if marker in _DECODABLE_SOF and index + 9 <= len(data):
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            size = (width, height) if width and height else None
        if marker == _SOS:
            return None if size is None else (size[0], size[1], index + 2 + segment_length)
        index += 2 + segment_length
    return None


def _cut_short(data: bytes) -> bool:
    """True when a decodable JPEG begins but never ends, or an IFD points past the file's end."""
    position = data.find(_SOI)
    while position != -1:
        if _frame_header(data, position) is not None:
            return True
        position = data.find(_SOI, position + 1)
    source = BytesSource(data)
    opened = open_tiff(source, 0)
    if opened is None:
        return False
    tiff, ifd0 = opened
    ranges = jpeg_ranges(tiff, walk_ifds(source, tiff, ifd0))
    return any(offset + length > len(data) for offset, length in ranges)


def _parse_jpeg_at(data: bytes, start: int) -> EmbeddedJpeg | None:
    header = _frame_header(data, start)
    if header is None:
        return None
    width, height, scan_start = header
    end = data.find(_EOI, scan_start)  # entropy-coded data never contains FF D9
    return None if end == -1 else EmbeddedJpeg(start, end + 2 - start, width, height)


def _probe_range(source: ByteSource, offset: int, length: int) -> EmbeddedJpeg | None:
    """The JPEG an IFD points at, if its header is decodable and it ends with EOI."""
    head = source.read_at(offset, min(length, _HEADER_PROBE))
    header = _frame_header(head, 0)
    tail = source.read_at(offset + length - 32, 32)
    if header is None or _EOI not in tail:
        return None
    return EmbeddedJpeg(offset, length, header[0], header[1])


def read_raw_preview(file: BinaryIO | bytes) -> RawPreview:
    """The largest decodable preview of an open RAW file (or its bytes), reading as little of
    it as it can."""
    source = BytesSource(file) if isinstance(file, bytes) else FileSource(file)
    ifd0, exif, candidates = _tiff_structure(source)
    best = max(candidates, key=lambda jpeg: jpeg.area, default=None)
    if best is None or max(best.width, best.height) < USEFUL_LONG_SIDE:
        return largest_preview(source.read_at(0, source.size))
    return _preview(source.read_at(best.offset, best.length), best, ifd0, exif)


def largest_preview(data: bytes) -> RawPreview:
    """The largest decodable preview of a RAW file already in memory (scans all of it)."""
    ifd0, exif, structured = _tiff_structure(BytesSource(data))
    candidates = structured + find_embedded_jpegs(data)
    if not candidates:
        if _cut_short(data):
            raise IncompletePreviewError("the file ends before its embedded JPEG preview does")
        raise NoPreviewError("no embedded JPEG preview found")
    best = max(candidates, key=lambda jpeg: jpeg.area)
    return _preview(data[best.offset : best.offset + best.length], best, ifd0, exif)


def _preview(
    jpeg: bytes, where: EmbeddedJpeg, ifd0: dict[int, TagValue], exif: dict[int, TagValue]
) -> RawPreview:
    orientation = ifd0.get(TAG_ORIENTATION)
    return RawPreview(
        jpeg=jpeg,
        width=where.width,
        height=where.height,
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        datetime_original=_text(exif.get(TAG_DATETIME_ORIGINAL)),
        offset_time_original=_text(exif.get(TAG_OFFSET_TIME_ORIGINAL)),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _tiff_structure(
    source: ByteSource,
) -> tuple[dict[int, TagValue], dict[int, TagValue], list[EmbeddedJpeg]]:
    """(IFD0 tags, Exif IFD tags, JPEGs the IFDs point at); CR3 has tags only."""
    opened = open_tiff(source, 0)
    if opened is None:
        head = source.read_at(0, 64 * 1024)
        if head[4:8] == b"ftyp":  # CR3: ISO media file; CMT1 holds IFD0, CMT2 the Exif IFD
            return _cr3_ifd0(source, head, b"CMT1"), _cr3_ifd0(source, head, b"CMT2"), []
        return {}, {}, []
    tiff, ifd0_offset = opened
    ifds = walk_ifds(source, tiff, ifd0_offset)
    ifd0 = ifds[0] if ifds else {}
    exif_offset = ifd0.get(TAG_EXIF_IFD)
    exif = read_ifd(source, tiff, exif_offset)[0] if isinstance(exif_offset, int) else {}
    jpegs = [_probe_range(source, offset, length) for offset, length in jpeg_ranges(tiff, ifds)]
    return ifd0, exif, [jpeg for jpeg in jpegs if jpeg is not None]


def _cr3_ifd0(source: ByteSource, head: bytes, box_type: bytes) -> dict[int, TagValue]:
    box = head.find(box_type)
    opened = open_tiff(source, box + 4) if box != -1 else None
    return {} if opened is None else read_ifd(source, opened[0], opened[1])[0]
