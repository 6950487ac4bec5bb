"""Image → model input tiles, reproducing the reference code's `load_image` exactly, without torchvision.

The reference code (docs/REFERENCE_CODE.md) does, for an RGB image:
  1. choose a (cols, rows) grid of `input_size` tiles by closest aspect ratio (see `tiling`);
  2. resize the whole image to (cols*s, rows*s) with Pillow's default filter (BICUBIC for RGB)
     and crop the tiles row-major;
  3. when there is more than one tile, append a thumbnail: the whole image resized to (s, s);
  4. per tile: torchvision `Resize((s, s), BICUBIC)` — a no-op here, since every tile is already
     s x s and Pillow returns an identical copy for a same-size resize — then `ToTensor` (/255,
     CHW) and `Normalize` with the ImageNet mean/std.
Steps 4 run here on all tiles at once as tensor operations, in the same float32 order of
operations as torchvision (divide by 255, subtract mean, divide by std).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from humanaes_desktop.engine.images.tiling import candidate_grids, tile_grid

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "candidate_grids",
    "normalize_tiles",
    "pixel_values",
    "tile_arrays",
    "tile_arrays_for_grid",
    "tile_grid",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Pillow's default for Image.resize on RGB images (the reference code relies on the default). Named
# explicitly so a change of default in a future Pillow cannot silently change our tiles.
SEED_RESAMPLE = Image.Resampling.BICUBIC


def tile_arrays(image: Image.Image, max_tiles: int = 12, input_size: int = 448) -> np.ndarray:
    """uint8 array [tiles(+1 thumbnail when >1 tile), 3, s, s] of the reference code's tiles, before normalising."""
    grid = tile_grid(image.width, image.height, max_tiles, input_size)
    return tile_arrays_for_grid(image, grid, input_size)


def tile_arrays_for_grid(
    image: Image.Image, grid: tuple[int, int], input_size: int = 448
) -> np.ndarray:
    """The reference code's tiles for a given (cols, rows) grid (a draft-decoded image keeps the grid of its
    full-size decode this way)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    cols, rows = grid
    s = input_size
    grid_pixels = np.asarray(rgb.resize((cols * s, rows * s), SEED_RESAMPLE))
    # [rows*s, cols*s, 3] -> [rows, cols, 3, s, s] -> tiles in row-major order.
    tiles = (
        grid_pixels.reshape(rows, s, cols, s, 3)
        .transpose(0, 2, 4, 1, 3)
        .reshape(rows * cols, 3, s, s)
    )
    if rows * cols > 1:
        thumbnail = np.asarray(rgb.resize((s, s), SEED_RESAMPLE)).transpose(2, 0, 1)
        tiles = np.concatenate([tiles, thumbnail[None]], axis=0)
    return np.ascontiguousarray(tiles)


def normalize_tiles(tiles: np.ndarray) -> torch.Tensor:
    """uint8 [N, 3, s, s] -> float32 tensor, ToTensor + ImageNet Normalize as torchvision does."""
    pixels = torch.from_numpy(tiles).to(torch.float32).div_(255)
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    return pixels.sub_(mean).div_(std)


def pixel_values(image: Image.Image, max_tiles: int = 12, input_size: int = 448) -> torch.Tensor:
    """The reference code's `load_image` for an already opened image: float32 [tiles, 3, s, s]."""
    return normalize_tiles(tile_arrays(image, max_tiles, input_size))
