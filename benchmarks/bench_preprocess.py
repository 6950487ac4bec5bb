"""Preprocessing of a 24-megapixel JPEG: exact decode vs fast (JPEG draft) decode, side by side.

    .venv/bin/python benchmarks/bench_preprocess.py [--repeats 5] [--max-tiles 12]

Builds a 6000x4000 photo-like JPEG (a sample photo upscaled, with fine noise so the decoder has
real detail to work on, quality 92) in a temporary folder, then times `load_pixels` under both
profiles, alternating them so both see the same machine conditions, and prints the medians, their
ratio and the PSNR of the fast tiles against the exact tiles in 0..255 pixel space.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import load_pixels, open_image, read_image_info
from humanaes_desktop.engine.preprocess import IMAGENET_MEAN, IMAGENET_STD

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.photos import PHOTOS_DIR as PHOTOS  # noqa: E402


def make_large_jpeg(folder: Path, size: tuple[int, int] = (6000, 4000)) -> Path:
    """A photo-like 24 MP JPEG: an upscaled real photo plus fine grain, quality 92."""
    base = (
        Image.open(PHOTOS / "astronaut.png").convert("RGB").resize(size, Image.Resampling.BICUBIC)
    )
    grain = np.random.default_rng(0).normal(0.0, 5.0, size=(size[1], size[0], 3)).astype(np.float32)
    pixels = np.clip(np.asarray(base, np.float32) + grain, 0, 255).astype(np.uint8)
    path = folder / f"large_{size[0]}x{size[1]}.jpg"
    Image.fromarray(pixels).save(path, quality=92)
    return path


def to_pixel_space(tiles: torch.Tensor) -> np.ndarray:
    """Undo the ImageNet normalisation: tiles in 0..255."""
    mean = np.array(IMAGENET_MEAN)[None, :, None, None]
    std = np.array(IMAGENET_STD)[None, :, None, None]
    return (tiles.numpy().astype(np.float64) * std + mean) * 255.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def time_profiles(path: Path, profiles: dict[str, PreprocessProfile], repeats: int) -> dict:
    """Median seconds of load_pixels per profile, runs interleaved."""
    seconds: dict[str, list[float]] = {name: [] for name in profiles}
    for _ in range(repeats):
        for name, profile in profiles.items():
            start = time.perf_counter()
            load_pixels(path, profile)
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in seconds.items()}


def time_header_reads(folder: Path, count: int) -> tuple[float, float]:
    """Per-file seconds of read_image_info vs a full exact open_image, on `count` 12 MP JPEGs."""
    source = Image.open(PHOTOS / "chelsea.png").convert("RGB").resize((4240, 2832))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:01:02 03:04:05"
    paths = []
    for index in range(count):
        path = folder / f"photo_{index:04d}.jpg"
        source.save(path, quality=85, exif=exif)
        paths.append(path)
    start = time.perf_counter()
    for path in paths:
        read_image_info(path)
    header = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for path in paths[: max(1, count // 10)]:
        open_image(path, PreprocessProfile())
    full = (time.perf_counter() - start) / max(1, count // 10)
    return header, full


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-tiles", type=int, default=12)
    parser.add_argument("--info-files", type=int, default=100, help="0 skips the header benchmark")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    profiles = {
        "exact": PreprocessProfile(max_tiles=args.max_tiles, decode="exact"),
        "fast": PreprocessProfile(max_tiles=args.max_tiles, decode="fast"),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = make_large_jpeg(Path(folder))
        tiles = {name: load_pixels(path, profile) for name, profile in profiles.items()}  # warm-up
        decoded = {name: open_image(path, profile).size for name, profile in profiles.items()}
        medians = time_profiles(path, profiles, args.repeats)
        size_mb = path.stat().st_size / 1e6
        if args.info_files:
            header, full = time_header_reads(Path(folder), args.info_files)
    quality = psnr(to_pixel_space(tiles["exact"]), to_pixel_space(tiles["fast"]))
    print(f"24 MP JPEG (6000x4000, q92, {size_mb:.1f} MB), max_tiles={args.max_tiles}, "
          f"{args.repeats} repeats, torch threads={torch.get_num_threads()}")  # fmt: skip
    for name in profiles:
        print(f"  {name:5s}: decoded {decoded[name][0]}x{decoded[name][1]}, "
              f"tiles {tuple(tiles[name].shape)}, median {medians[name] * 1000:.0f} ms")  # fmt: skip
    print(f"  fast/exact time ratio: {medians['fast'] / medians['exact']:.3f} "
          f"(fast is {medians['exact'] / medians['fast']:.1f}x faster)")  # fmt: skip
    print(f"  PSNR of fast tiles vs exact tiles (0..255): {quality:.1f} dB")
    print(f"  same tile grid: {tiles['exact'].shape == tiles['fast'].shape}")
    if args.info_files:
        print(f"read_image_info on {args.info_files} 12 MP JPEGs: {header * 1e3:.2f} ms per file "
              f"({1 / header:.0f} files/s) vs full decode {full * 1e3:.0f} ms "
              f"(header read is {full / header:.0f}x cheaper)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
