"""An archive-like folder made from the sample photos: many distinct files, a few bad ones.

Each sample photo is written in six variants (as is, mirrored, turned, grey, half size, JPEG at
quality 70), so every file has its own content and fingerprint; then a corrupt JPEG (cut in its
scan data), an empty file and a byte-for-byte copy of one photo in a sub-folder (one content at
two paths). Used by the cluster tests and benchmarks/bench_cluster.py.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from tests.support.photos import sample_photos

VARIANTS = ("as_is", "mirrored", "turned", "grey", "half", "q70")


@dataclass(frozen=True)
class PhotoSet:
    folder: Path
    good: list[Path]  # decodable photos with distinct content
    corrupt: Path  # a JPEG cut in the middle of its scan data
    empty: Path  # 0 bytes
    copy: Path  # same bytes as good[0], elsewhere in the tree

    @property
    def all_files(self) -> list[Path]:
        return [*self.good, self.corrupt, self.empty, self.copy]


def _variant(image: Image.Image, variant: str) -> Image.Image:
    rgb = image.convert("RGB")
    if variant == "mirrored":
        return ImageOps.mirror(rgb)
    if variant == "turned":
        return rgb.transpose(Image.Transpose.ROTATE_90)
    if variant == "grey":
        return ImageOps.grayscale(rgb).convert("RGB")
    if variant == "half":
        return rgb.resize((max(1, rgb.width // 2), max(1, rgb.height // 2)))
    return rgb


def make_photo_set(folder: Path, variants: tuple[str, ...] = VARIANTS) -> PhotoSet:
    """Write the set into `folder` (created); len(good) = 6 photos x len(variants)."""
    folder.mkdir(parents=True, exist_ok=True)
    good: list[Path] = []
    for source in sample_photos():
        with Image.open(source) as image:
            for variant in variants:
                if variant == "as_is":
                    target = folder / f"{source.stem}_{variant}{source.suffix}"
                    shutil.copyfile(source, target)
                elif variant == "q70":
                    target = folder / f"{source.stem}_{variant}.jpg"
                    _variant(image, variant).save(target, "JPEG", quality=70)
                else:
                    target = folder / f"{source.stem}_{variant}.png"
                    _variant(image, variant).save(target, "PNG")
                good.append(target)
    whole = next(p for p in good if p.suffix == ".jpg").read_bytes()
    corrupt = folder / "corrupt.jpg"
    corrupt.write_bytes(whole[: len(whole) // 3])
    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    (folder / "copies").mkdir(exist_ok=True)
    copy = folder / "copies" / good[0].name
    shutil.copyfile(good[0], copy)
    return PhotoSet(folder, sorted(good), corrupt, empty, copy)
