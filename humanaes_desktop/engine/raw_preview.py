"""Camera RAW files, read through the largest JPEG preview the camera embedded in them.

Nearly every RAW format (TIFF-based DNG, CR2, NEF, ARW, PEF, SRW, ORF, RW2, and also RAF and CR3)
carries a full-size or near-full-size JPEG rendering made by the camera. We find every embedded
JPEG by scanning for its start-of-image marker and walking its segment headers, keep the ones
Pillow can decode (baseline or progressive; lossless JPEG is how DNG and CR2 store the sensor
data itself, and is skipped), and take the largest. Demosaicing the sensor data is out of scope.

The preview's own EXIF usually lacks the orientation; the RAW container's TIFF header has it
(for CR3, the TIFF block in its CMT1 box), and its Exif IFD has the capture time.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_SUFFIXES = frozenset(
    {".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".pef", ".srw", ".orf"}
    | {".rw2", ".raf"}
)

_SOI = b"\xff\xd8\xff"
_EOI = b"\xff\xd9"
# Start-of-frame markers Pillow decodes: baseline, extended sequential, progressive.
_DECODABLE_SOF = frozenset({0xC0, 0xC1, 0xC2})
# Other start-of-frame markers (lossless, hierarchical, arithmetic): not decodable by Pillow.
_OTHER_SOF = frozenset({0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SOS = 0xDA

TAG_ORIENTATION = 0x0112
TAG_EXIF_IFD = 0x8769
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011


@dataclass(frozen=True)
class EmbeddedJpeg:
    """Where one decodable JPEG sits inside a file, and its pixel size from its frame header."""

    offset: int
    length: int
    width: int
    height: int


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


def _parse_jpeg_at(data: bytes, start: int) -> EmbeddedJpeg | None:
    """Walk the marker segments from an SOI; None when they do not form a decodable JPEG."""
    index = start + 2
    size = None
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
            end = data.find(_EOI, index + 2 + segment_length)
            if size is None or end == -1:
                return None
            return EmbeddedJpeg(start, end + 2 - start, size[0], size[1])
        index += 2 + segment_length
    return None


def largest_preview(data: bytes) -> RawPreview:
    """The largest decodable embedded JPEG of a RAW file's bytes, with container metadata."""
    candidates = find_embedded_jpegs(data)
    if not candidates:
        raise NoPreviewError("no embedded JPEG preview found")
    best = max(candidates, key=lambda jpeg: jpeg.width * jpeg.height)
    ifd0, exif = _container_tags(data)
    orientation = ifd0.get(TAG_ORIENTATION)
    return RawPreview(
        jpeg=data[best.offset : best.offset + best.length],
        width=best.width,
        height=best.height,
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        datetime_original=_text(exif.get(TAG_DATETIME_ORIGINAL)),
        offset_time_original=_text(exif.get(TAG_OFFSET_TIME_ORIGINAL)),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# ---- the container's TIFF tags ------------------------------------------------------------------

_TIFF_MAGICS = frozenset({42, 0x4F52, 0x5352, 0x55})  # TIFF; ORF ("RO", "SR"); RW2
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1}  # BYTE, ASCII, SHORT, LONG, UNDEFINED


def _container_tags(data: bytes) -> tuple[dict[int, object], dict[int, object]]:
    """(IFD0 tags, Exif IFD tags) of a TIFF-based or CR3 RAW file; empty dicts otherwise."""
    if data[:4] in (b"II*\x00", b"MM\x00*") or data[:2] in (b"II", b"MM"):
        ifd0 = _read_tiff_ifd0(data, 0)
        exif_offset = ifd0.get(TAG_EXIF_IFD)
        exif = _read_ifd(data, 0, exif_offset, _byte_order(data, 0)) if exif_offset else {}
        return ifd0, exif
    if data[4:8] == b"ftyp":  # CR3: ISO media file; CMT1 holds IFD0, CMT2 the Exif IFD
        return _cr3_tiff(data, b"CMT1"), _cr3_tiff(data, b"CMT2")
    return {}, {}


def _cr3_tiff(data: bytes, box_type: bytes) -> dict[int, object]:
    box = data.find(box_type)
    return {} if box == -1 else _read_tiff_ifd0(data, box + 4)


def _byte_order(data: bytes, base: int) -> str:
    return "little" if data[base : base + 2] == b"II" else "big"


def _read_tiff_ifd0(data: bytes, base: int) -> dict[int, object]:
    if data[base : base + 2] not in (b"II", b"MM") or len(data) < base + 8:
        return {}
    order = _byte_order(data, base)
    if int.from_bytes(data[base + 2 : base + 4], order) not in _TIFF_MAGICS:
        return {}
    return _read_ifd(data, base, int.from_bytes(data[base + 4 : base + 8], order), order)


def _read_ifd(data: bytes, base: int, offset: object, order: str) -> dict[int, object]:
    """Tags of one IFD whose values are a single number or an ASCII string; others skipped."""
    if not isinstance(offset, int) or not 0 < base + offset < len(data) - 2:
        return {}
    start = base + offset
    count = int.from_bytes(data[start : start + 2], order)
    tags: dict[int, object] = {}
    for entry in range(min(count, 1000)):
        at = start + 2 + 12 * entry
        if at + 12 > len(data):
            break
        tag, kind = (int.from_bytes(data[at + i : at + i + 2], order) for i in (0, 2))
        values = int.from_bytes(data[at + 4 : at + 8], order)
        if kind not in _TYPE_SIZES:
            continue
        size = _TYPE_SIZES[kind] * values
        field = data[at + 8 : at + 12]
        if size > 4:
            pointer = base + int.from_bytes(field, order)
            field = data[pointer : pointer + size]
        if kind == 2:
            tags[tag] = field[:size].split(b"\x00", 1)[0].decode("ascii", "replace")
        elif values == 1:
            tags[tag] = int.from_bytes(field[: _TYPE_SIZES[kind]], order)
    return tags
