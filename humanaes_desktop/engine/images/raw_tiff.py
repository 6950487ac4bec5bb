"""Just enough TIFF structure to find a RAW file's previews and read a few tags, reading only
the bytes it needs (RAW files are 20-80 MB; their previews and tags sit in a few KB of IFDs).

TIFF-based RAW formats (DNG, CR2, NEF, ARW, PEF, SRW, and with other magic numbers ORF and RW2)
point at their JPEG previews from IFD0, its chain and its SubIFDs: through JPEGInterchangeFormat
(0x201/0x202), a single JPEG-compressed strip (0x111/0x117 with Compression 6 or 7), or, in RW2,
the JpgFromRaw blob (0x2E).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol

TAG_COMPRESSION = 0x0103
TAG_STRIP_OFFSETS = 0x0111
TAG_ORIENTATION = 0x0112
TAG_STRIP_BYTE_COUNTS = 0x0117
TAG_SUB_IFDS = 0x014A
TAG_JPEG_OFFSET = 0x0201
TAG_JPEG_LENGTH = 0x0202
TAG_RW2_JPEG = 0x002E
TAG_EXIF_IFD = 0x8769
JPEG_COMPRESSIONS = frozenset({6, 7})

_TIFF_MAGICS = frozenset({42, 0x4F52, 0x5352, 0x55})  # TIFF; ORF ("RO", "SR"); RW2
# BYTE, ASCII, SHORT, LONG, UNDEFINED, IFD
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 13: 4}
_MAX_ARRAY = 64  # longer arrays (strip tables of the sensor data) are of no use here
_MAX_IFDS = 32


class ByteSource(Protocol):
    size: int

    def read_at(self, offset: int, length: int) -> bytes: ...


class BytesSource:
    """A ByteSource over bytes already in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read_at(self, offset: int, length: int) -> bytes:
        return self.data[max(offset, 0) : max(offset, 0) + max(length, 0)]


class FileSource:
    """A ByteSource over an open binary file; counts what it reads."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.size = os.fstat(file.fileno()).st_size
        self.bytes_read = 0

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length <= 0 or offset >= self.size:
            return b""
        self.file.seek(offset)
        data = self.file.read(length)
        self.bytes_read += len(data)
        return data


@dataclass(frozen=True)
class Blob:
    """A tag value too long to keep: where its bytes are (absolute offset) and how many."""

    offset: int
    length: int


TagValue = int | tuple[int, ...] | str | Blob


@dataclass(frozen=True)
class Tiff:
    """Where a TIFF structure starts in a file and its byte order."""

    base: int
    order: Literal["little", "big"]

    def number(self, raw: bytes) -> int:
        return int.from_bytes(raw, self.order)


def open_tiff(source: ByteSource, base: int = 0) -> tuple[Tiff, int] | None:
    """(Tiff, IFD0 offset) when a TIFF header starts at `base`, else None."""
    header = source.read_at(base, 8)
    if len(header) < 8 or header[:2] not in (b"II", b"MM"):
        return None
    tiff = Tiff(base, "little" if header[:2] == b"II" else "big")
    if tiff.number(header[2:4]) not in _TIFF_MAGICS:
        return None
    return tiff, tiff.number(header[4:8])


def read_ifd(source: ByteSource, tiff: Tiff, offset: int) -> tuple[dict[int, TagValue], int]:
    """(tags, offset of the next IFD or 0) of the IFD at `offset` (relative to the TIFF)."""
    start = tiff.base + offset
    if offset <= 0 or start + 2 > source.size:
        return {}, 0
    count = min(tiff.number(source.read_at(start, 2)), 1000)
    table = source.read_at(start + 2, 12 * count + 4)
    tags: dict[int, TagValue] = {}
    for at in range(0, min(len(table) - 4, 12 * count), 12):
        entry = table[at : at + 12]
        value = _entry_value(source, tiff, entry)
        if value is not None:
            tags[tiff.number(entry[0:2])] = value
    next_offset = (
        tiff.number(table[12 * count : 12 * count + 4]) if len(table) >= 12 * count + 4 else 0
    )
    return tags, next_offset


def _entry_value(source: ByteSource, tiff: Tiff, entry: bytes) -> TagValue | None:
    kind, count = tiff.number(entry[2:4]), tiff.number(entry[4:8])
    if kind not in _TYPE_SIZES or count == 0:
        return None
    width = _TYPE_SIZES[kind]
    size = width * count
    inline = size <= 4
    location = tiff.base + tiff.number(entry[8:12])  # meaningful only when not inline
    if kind in (1, 7) and count > 4:
        return Blob(location, count)
    if kind == 2:
        raw = entry[8 : 8 + size] if inline else source.read_at(location, min(size, 256))
        return raw.split(b"\x00", 1)[0].decode("ascii", "replace")
    if count > _MAX_ARRAY:
        return None
    raw = entry[8 : 8 + size] if inline else source.read_at(location, size)
    values = tuple(tiff.number(raw[i : i + width]) for i in range(0, len(raw) - width + 1, width))
    return values[0] if count == 1 and values else values


def walk_ifds(source: ByteSource, tiff: Tiff, ifd0: int) -> list[dict[int, TagValue]]:
    """IFD0, the IFDs chained after it and their SubIFDs (each once; loops are cut)."""
    pending, seen = [ifd0], set()
    found: list[dict[int, TagValue]] = []
    while pending and len(found) < _MAX_IFDS:
        offset = pending.pop(0)
        if offset in seen or offset <= 0:
            continue
        seen.add(offset)
        tags, next_offset = read_ifd(source, tiff, offset)
        if not tags:
            continue
        found.append(tags)
        sub = tags.get(TAG_SUB_IFDS)
        pending.extend(sub if isinstance(sub, tuple) else [sub] if isinstance(sub, int) else [])
        pending.append(next_offset)
    return found


def jpeg_ranges(tiff: Tiff, ifds: list[dict[int, TagValue]]) -> list[tuple[int, int]]:
    """(absolute offset, length) of every JPEG stream the IFDs point at."""
    ranges = []
    for tags in ifds:
        offset, length = tags.get(TAG_JPEG_OFFSET), tags.get(TAG_JPEG_LENGTH)
        if isinstance(offset, int) and isinstance(length, int):
            ranges.append((tiff.base + offset, length))
        strips, counts = tags.get(TAG_STRIP_OFFSETS), tags.get(TAG_STRIP_BYTE_COUNTS)
        if tags.get(TAG_COMPRESSION) in JPEG_COMPRESSIONS and isinstance(strips, int):
            if isinstance(counts, int):
                ranges.append((tiff.base + strips, counts))
        blob = tags.get(TAG_RW2_JPEG)
        if isinstance(blob, Blob):
            ranges.append((blob.offset, blob.length))
    return [(offset, length) for offset, length in ranges if offset > 0 and length > 4]
