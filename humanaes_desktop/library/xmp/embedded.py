"""XMP embedded in a photo (what Lightroom writes into JPEGs), read only: originals are never
modified. Pillow exposes a JPEG's XMP packet without decoding any pixels."""

from __future__ import annotations

import logging

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

EMBEDDED_SUFFIXES = (".jpg", ".jpeg", ".jpe")


def has_embedded_xmp_format(path: str) -> bool:
    """True for the formats whose embedded XMP is read."""
    return path.lower().endswith(EMBEDDED_SUFFIXES)


def read_embedded_xmp(path: str) -> bytes | None:
    """The XMP packet inside a JPEG, or None (no packet, not a JPEG, unreadable: logged)."""
    if not has_embedded_xmp_format(path):
        return None
    try:
        with Image.open(path) as image:
            packet = image.info.get("xmp")
    except FileNotFoundError:
        return None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        log.info("cannot read the XMP inside %s: %s", path, exc)
        return None
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    return packet or None
