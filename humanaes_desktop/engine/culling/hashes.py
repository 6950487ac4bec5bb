"""Perceptual hashes (64-bit pHash and dHash) of the working image, and how flat it is.

pHash: the signs of the 8x8 lowest frequencies of a 32x32 DCT against their median (the usual
definition, as in the imagehash package, computed with OpenCV's DCT so that scipy is not needed).
dHash: whether each of 8x8 pixels of a 9x8 reduction is brighter than its right neighbour.
Hashes are blind to blur: they group frames, they never rank them.

Hashes are unsigned 64-bit integers here; SQLite stores signed ones (see `to_signed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROFILE_COLUMNS = 64
_BIT_WEIGHTS = (1 << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


@dataclass(frozen=True)
class Hashes:
    phash: int
    dhash: int
    # RMS of the low DCT frequencies above the first gradients, in grey levels: ~0 for a frame
    # with no content (a black frame, a cloudless sky however it shades from top to bottom).
    flatness: float
    profile: bytes = b""  # PROFILE_COLUMNS column means (grey levels): panoramas shift it


def _pack(bits: np.ndarray) -> int:
    return int(np.bitwise_or.reduce(bits.ravel().astype(np.uint64) * _BIT_WEIGHTS))


def compute_hashes(gray: np.ndarray) -> Hashes:
    """pHash, dHash and flatness of a grey image."""
    import cv2  # here, so that the library can use the helpers below without OpenCV loaded

    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8]
    phash = _pack(low > np.median(low))
    tiny = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    dhash = _pack(tiny[:, 1:] > tiny[:, :-1])
    columns = cv2.resize(gray, (PROFILE_COLUMNS, 1), interpolation=cv2.INTER_AREA)
    detail = low.copy()
    detail[0, 0] = detail[0, 1] = detail[1, 0] = 0.0  # brightness and the two plain gradients
    flatness = float(np.sqrt((detail * detail).mean())) / 32.0
    return Hashes(phash, dhash, flatness, columns.astype(np.uint8).tobytes())


def hamming(a: int, b: int) -> int:
    """Bits that differ between two 64-bit hashes."""
    return (a ^ b).bit_count()


def to_signed(value: int) -> int:
    """An unsigned 64-bit hash as the signed integer SQLite can store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    """The inverse of `to_signed`."""
    return value + (1 << 64) if value < 0 else value
