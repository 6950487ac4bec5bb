"""Sharpness from the variance of the Laplacian: of the whole frame, and per tile of a grid.

The whole-frame value punishes shallow depth of field (an f/1.4 portrait is mostly blur around a
sharp face), so the peak tile and where it is are kept too; faces and eyes get their own values.
All values are in grey levels squared at the working image's scale and are only comparable
between photos decoded at the same size (the signals version pins it); culling ranks them
relative to a photo's group rather than against fixed thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GRID = 8  # tiles per side


@dataclass(frozen=True)
class Sharpness:
    """Sharpness of one working image."""

    global_: float  # Laplacian variance over the whole frame
    peak: float  # the sharpest tile's variance
    peak_x: float  # centre of that tile, 0..1 of the width
    peak_y: float  # 0..1 of the height
    concentration: float  # peak / median tile: high when one region is sharp and the rest not


def laplacian(gray: np.ndarray) -> np.ndarray:
    """The Laplacian of a grey image as float32 (computed once, shared by every measure)."""
    return cv2.Laplacian(gray, cv2.CV_32F, ksize=1)


def measure_sharpness(lap: np.ndarray) -> Sharpness:
    """Global and tile-grid sharpness of a Laplacian image."""
    height, width = lap.shape
    th, tw = max(1, height // GRID), max(1, width // GRID)
    rows, cols = min(GRID, height // th), min(GRID, width // tw)
    tiles = lap[: rows * th, : cols * tw].reshape(rows, th, cols, tw)
    variances = tiles.var(axis=(1, 3), dtype=np.float64)
    index = int(np.argmax(variances))
    row, col = divmod(index, cols)
    median = float(np.median(variances))
    peak = float(variances[row, col])
    return Sharpness(
        global_=float(lap.var(dtype=np.float64)),
        peak=peak,
        peak_x=(col + 0.5) / cols,
        peak_y=(row + 0.5) / rows,
        concentration=peak / median if median > 0 else 0.0,
    )


def region_sharpness(lap: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Laplacian variance inside a (x, y, w, h) box of the working image; 0 for an empty box."""
    x, y, w, h = box
    region = lap[max(0, y) : y + h, max(0, x) : x + w]
    return float(region.var(dtype=np.float64)) if region.size > 1 else 0.0
