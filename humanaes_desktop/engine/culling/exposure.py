"""Exposure: luminance statistics and clipping, from 256-bin histograms (no per-pixel Python).

Clipping is the one absolute signal of culling: a blown sky is blown whatever the other frames
look like. Everything else (a dark frame) is judged against the photo's group.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SHADOW_LEVEL = 3  # luma at or below: crushed shadows
HIGHLIGHT_LEVEL = 252  # luma at or above: blown highlights
CHANNEL_LEVEL = 254  # a colour channel at or above: that channel clipped


@dataclass(frozen=True)
class Exposure:
    """Luminance statistics (0..255) and clipped fractions (0..1) of a working image."""

    mean: float
    median: float
    p1: float
    p99: float
    shadows_clipped: float  # fraction of pixels with luma <= SHADOW_LEVEL
    highlights_clipped: float  # fraction with luma >= HIGHLIGHT_LEVEL
    channels_clipped: tuple[float, float, float]  # per R, G, B: fraction >= CHANNEL_LEVEL


def _histogram(channel: np.ndarray) -> np.ndarray:
    return cv2.calcHist([channel], [0], None, [256], [0, 256]).ravel()


def _percentile(cumulative: np.ndarray, fraction: float) -> float:
    return float(np.searchsorted(cumulative, fraction * cumulative[-1]))


def measure_exposure(rgb: np.ndarray, gray: np.ndarray) -> Exposure:
    """Exposure statistics of an RGB working image and its luma."""
    hist = _histogram(gray)
    total = float(hist.sum()) or 1.0
    cumulative = np.cumsum(hist)
    levels = np.arange(256, dtype=np.float64)
    channels = tuple(
        float(_histogram(np.ascontiguousarray(rgb[:, :, c]))[CHANNEL_LEVEL:].sum() / total)
        for c in range(3)
    )
    return Exposure(
        mean=float((hist * levels).sum() / total),
        median=_percentile(cumulative, 0.5),
        p1=_percentile(cumulative, 0.01),
        p99=_percentile(cumulative, 0.99),
        shadows_clipped=float(hist[: SHADOW_LEVEL + 1].sum() / total),
        highlights_clipped=float(hist[HIGHLIGHT_LEVEL:].sum() / total),
        channels_clipped=channels,  # type: ignore[arg-type]
    )
