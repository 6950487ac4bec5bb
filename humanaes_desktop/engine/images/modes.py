"""Turn a decoded Pillow image of any mode into 8-bit RGB, and apply EXIF orientation.

Pillow's own `convert("RGB")` is right for most modes but not all: it clips 16-bit greyscale
at 255 instead of scaling it (a normal photo becomes almost white) and it drops alpha, revealing
whatever colour happens to sit under transparent pixels. Those cases are handled here.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

EXIF_ORIENTATION_TAG = 0x0112

# EXIF orientation value -> the Pillow transposition that makes the image upright.
_UPRIGHT_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
WHITE = (255, 255, 255, 255)


def swaps_axes(orientation: int) -> bool:
    """True when this EXIF orientation turns width into height (the 90-degree cases)."""
    return orientation in (5, 6, 7, 8)


def exif_orientation(image: Image.Image) -> int:
    """The image's EXIF orientation (1..8), 1 when absent or nonsensical."""
    try:
        value = int(image.getexif().get(EXIF_ORIENTATION_TAG, 1))
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Return the image turned upright for the given EXIF orientation value."""
    method = _UPRIGHT_TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB version of a loaded image (the image itself when it already is RGB)."""
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in _ALPHA_MODES or "transparency" in image.info:
        return _composite_on_white(image)
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        return _grey_to_rgb(_scale_to_8bit(np.asarray(image), full_scale=65535))
    if mode == "F":
        return _grey_to_rgb(_float_to_8bit(np.asarray(image)))
    # 1, L, P (opaque), CMYK, YCbCr, LAB, HSV: Pillow's conversion is correct for these.
    return image.convert("RGB")


def _composite_on_white(image: Image.Image) -> Image.Image:
    # The model only sees RGB. The colour hidden under transparent pixels is arbitrary (often
    # black or leftovers of an edit), so dropping alpha would show it that garbage. We put the
    # image on white, the background photo viewers and the web show cut-outs on.
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, WHITE)
    return Image.alpha_composite(background, rgba).convert("RGB")


def _scale_to_8bit(values: np.ndarray, full_scale: int) -> Image.Image:
    # Rounded linear scaling of 0..full_scale onto 0..255. Mode "I" (32-bit integer) images are
    # nearly always 16-bit data in disguise, so they are read on the same 0..65535 scale.
    wide = np.clip(values.astype(np.int64), 0, full_scale)
    eight_bit = (wide * 255 + full_scale // 2) // full_scale
    return Image.fromarray(eight_bit.astype(np.uint8), "L")


def _float_to_8bit(values: np.ndarray) -> Image.Image:
    # Float images use 0..1 by convention; some tools write 0..255 instead. The brightest value
    # decides which, since a 0..1 image never exceeds 1.
    finite = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    scale = 255.0 if finite.size and finite.max() <= 1.0 else 1.0
    return Image.fromarray(np.clip(np.rint(finite * scale), 0, 255).astype(np.uint8), "L")


def _grey_to_rgb(grey: Image.Image) -> Image.Image:
    return grey.convert("RGB")
