"""Parity of `engine.preprocess` with the reference code's `load_image`.

The reference below is an independent transcription of the reference code's algorithm (docs/REFERENCE_CODE.md): its
`find_closest_aspect_ratio`, `dynamic_preprocess` and the torchvision transform, re-expressed with
PIL and numpy only, one tile at a time, exactly in the order the reference code does it. It never calls the
module under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.preprocess import pixel_values, tile_grid

# ---- the seed, transcribed -------------------------------------------------------------------


def reference_closest_ratio(aspect_ratio, target_ratios, width, height, image_size):
    best_ratio_diff = float("inf")
    best_ratio = (1, 1)
    area = width * height
    for ratio in target_ratios:
        ratio_diff = abs(aspect_ratio - ratio[0] / ratio[1])
        if ratio_diff < best_ratio_diff:
            best_ratio_diff = ratio_diff
            best_ratio = ratio
        elif ratio_diff == best_ratio_diff:
            if area > 0.5 * image_size * image_size * ratio[0] * ratio[1]:
                best_ratio = ratio
    return best_ratio


def reference_grid(width, height, max_num, image_size):
    targets = set(
        (i, j)
        for n in range(1, max_num + 1)
        for i in range(1, n + 1)
        for j in range(1, n + 1)
        if 1 <= i * j <= max_num
    )
    targets = sorted(targets, key=lambda x: x[0] * x[1])
    return reference_closest_ratio(width / height, targets, width, height, image_size)


def reference_tiles(image, max_num, image_size):
    cols, rows = reference_grid(image.width, image.height, max_num, image_size)
    target_width, target_height = image_size * cols, image_size * rows
    resized = image.resize(
        (target_width, target_height)
    )  # Pillow's default filter, as the reference code
    tiles = []
    per_row = target_width // image_size
    for i in range(cols * rows):
        box = (
            (i % per_row) * image_size,
            (i // per_row) * image_size,
            (i % per_row + 1) * image_size,
            (i // per_row + 1) * image_size,
        )
        tiles.append(resized.crop(box))
    if len(tiles) != 1:
        tiles.append(image.resize((image_size, image_size)))
    return tiles


def reference_transform(tile, image_size):
    tile = tile.convert("RGB") if tile.mode != "RGB" else tile
    tile = tile.resize((image_size, image_size), Image.Resampling.BICUBIC)  # T.Resize on PIL
    chw = np.asarray(tile).transpose(2, 0, 1).astype(np.float32) / np.float32(255)  # ToTensor
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)[:, None, None]
    return (chw - mean) / std  # Normalize


def reference_load_image(image, max_num, image_size=448):
    image = image.convert("RGB")
    return np.stack(
        [reference_transform(t, image_size) for t in reference_tiles(image, max_num, image_size)]
    )


# ---- tests ------------------------------------------------------------------------------------

SIZES = [
    (1, 1),
    (3, 2),
    (17, 5),
    (448, 448),
    (449, 448),
    (447, 449),
    (10000, 100),
    (100, 10000),
    (600, 800),
    (1024, 768),
    (333, 777),
    (1000, 1000),  # square, big enough that the tie rule picks a larger square grid
    (2000, 1000),  # exactly 2:1, tie between 2x1 and 4x2
    (1345, 449),
]


def noise_image(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8), "RGB")


@pytest.mark.parametrize("max_tiles", [1, 2, 6, 12])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_pixel_values_match_seed(size: tuple[int, int], max_tiles: int) -> None:
    image = noise_image(*size, seed=size[0] * 7919 + size[1])
    expected = reference_load_image(image, max_tiles)
    actual = pixel_values(image, max_tiles=max_tiles).numpy()
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["chelsea.png", "astronaut.png", "camera.png", "rocket.jpg"])
def test_real_photos_match_seed(name: str, sample_photos_dir) -> None:
    with Image.open(sample_photos_dir / name) as image:
        image.load()
        expected = reference_load_image(image, 12)
        actual = pixel_values(image).numpy()
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)


def test_non_rgb_input_is_converted_like_the_seed() -> None:
    rgba = noise_image(300, 200, seed=1).convert("RGBA")
    palette = noise_image(250, 500, seed=2).convert("P")
    for image in (rgba, palette, rgba.convert("L")):
        np.testing.assert_allclose(
            pixel_values(image, max_tiles=6).numpy(), reference_load_image(image, 6), atol=1e-6
        )


def test_tile_grid_matches_seed_over_a_sweep_of_shapes() -> None:
    sides = [1, 2, 5, 100, 223, 224, 447, 448, 449, 672, 896, 1000, 1343, 1344, 3000, 6000]
    for max_tiles in range(1, 13):
        for width in sides:
            for height in sides:
                assert tile_grid(width, height, max_tiles) == reference_grid(
                    width, height, max_tiles, 448
                ), (width, height, max_tiles)


def test_tile_count_and_thumbnail_rule() -> None:
    assert pixel_values(noise_image(448, 448, 0)).shape == (1, 3, 448, 448)  # one tile, no thumb
    assert pixel_values(noise_image(10000, 100, 0)).shape == (13, 3, 448, 448)  # 12x1 + thumb
    assert tile_grid(10000, 100) == (12, 1)
    assert tile_grid(100, 10000, max_tiles=6) == (1, 6)


def test_first_tile_is_the_top_left_of_the_grid() -> None:
    # A left half black, right half white image: with a 2x1 grid the first tile is dark.
    array = np.zeros((448, 896, 3), dtype=np.uint8)
    array[:, 448:] = 255
    tiles = pixel_values(Image.fromarray(array), max_tiles=2).numpy()
    assert tiles.shape[0] == 3
    assert tiles[0].mean() < tiles[2].mean() < tiles[1].mean()


def test_invalid_sizes_are_rejected() -> None:
    with pytest.raises(ValueError):
        tile_grid(0, 10)
    with pytest.raises(ValueError):
        tile_grid(10, 10, max_tiles=0)
