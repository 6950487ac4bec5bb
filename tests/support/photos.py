"""The public-domain sample photos that ship with the repository (tests/data/photos)."""

from __future__ import annotations

from pathlib import Path

PHOTOS_DIR = Path(__file__).resolve().parents[1] / "data" / "photos"
PHOTO_SUFFIXES = (".png", ".jpg")


def sample_photos() -> list[Path]:
    """Every sample photo, sorted by name (SOURCES.md, which names their licences, excluded)."""
    return sorted(p for p in PHOTOS_DIR.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def sample_photo(name: str) -> Path:
    """One sample photo by file name; a missing one fails loudly with the folder it looked in."""
    path = PHOTOS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample photo {name!r} in {PHOTOS_DIR}")
    return path
