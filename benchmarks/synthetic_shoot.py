"""Large synthetic shoots for the grouping benchmark: capture times, hashes and settings only.

Shaped like a photographer's library: shoots days apart, scenes minutes apart, inside each scene singles and bursts
of 2-20 frames at 10 fps whose hashes differ by a few bits, now and then a 3-frame exposure
bracket and a flat frame. No pixels: grouping never looks at any.
"""

from __future__ import annotations

import numpy as np

from humanaes_desktop.engine.culling.grouping import Shoot


def _flip_bits(rng: np.random.Generator, value: np.uint64, bits: int) -> np.uint64:
    for bit in rng.choice(64, size=bits, replace=False):
        value ^= np.uint64(1) << np.uint64(int(bit))
    return value


def synthetic_shoot(n: int, seed: int = 0) -> Shoot:
    """n photos; about a third of them in bursts."""
    rng = np.random.default_rng(seed)
    time = np.empty(n)
    phash = np.empty(n, np.uint64)
    dhash = np.empty(n, np.uint64)
    bias = np.full(n, np.nan)
    flat = np.zeros(n, bool)
    t, i = 1.7e9, 0
    while i < n:
        roll = rng.random()
        if roll < 0.005:  # another day's shoot
            t += rng.uniform(6 * 3600, 72 * 3600)
        elif roll < 0.1:  # a pause inside a shoot
            t += rng.exponential(300.0)
        else:
            t += rng.exponential(20.0)
        size = int(rng.integers(2, 21)) if rng.random() < 0.15 else 1
        size = min(size, n - i)
        base_p, base_d = (rng.integers(0, 2**63, 2, dtype=np.uint64) << np.uint64(1)) | (
            rng.integers(0, 2, 2, dtype=np.uint64)
        )
        bracket = size == 1 and rng.random() < 0.02 and i + 3 <= n
        size = 3 if bracket else size
        for k in range(size):
            time[i] = t + k * 0.1
            phash[i] = _flip_bits(rng, base_p, int(rng.integers(0, 4)))
            dhash[i] = _flip_bits(rng, base_d, int(rng.integers(0, 6)))
            bias[i] = (0.0, -2.0, 2.0)[k] if bracket else 0.0
            flat[i] = rng.random() < 0.005
            i += 1
        t += size * 0.1
    return Shoot(
        ids=np.arange(1, n + 1, dtype=np.int64),
        time=time,
        counter=np.arange(n, dtype=np.int64) % 10_000,
        phash=phash,
        dhash=dhash,
        flat=flat,
        camera=np.zeros(n, np.int64),
        landscape=rng.random(n) < 0.8,
        exposure_bias=bias,
        exposure_key=np.zeros(n, np.int64),
        peak_xy=rng.random((n, 2)),
        burst_id=np.full(n, -1, np.int64),
        profile=rng.integers(0, 256, (n, 64), dtype=np.uint8),
    )
