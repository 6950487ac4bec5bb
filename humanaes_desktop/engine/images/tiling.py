"""The InternVL dynamic tile grid (torch-free, so the library and UI can import it cheaply).

A faithful transcription of the reference code's `find_closest_aspect_ratio` / `dynamic_preprocess` grid
choice. The reference code builds its candidate grids as a `set` and then sorts them by tile count; ties on
aspect ratio are decided by that order, so we build the candidates the same way. CPython hashes
tuples of small ints deterministically (no hash randomisation for ints), so the order, and with
it the tie behaviour, is reproducible. (Checked once by hand: reversing the order within equal
tile counts changes no result for max_tiles 1..40 over 637k sizes, every exact midpoint between
two grid ratios included; ties between equal ratios of different tile counts are what the order
by tile count and the area rule decide.)
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=64)
def candidate_grids(max_tiles: int, min_tiles: int = 1) -> tuple[tuple[int, int], ...]:
    """All (cols, rows) with min_tiles <= cols*rows <= max_tiles, in the reference code's order."""
    grids = set(
        (i, j)
        for n in range(min_tiles, max_tiles + 1)
        for i in range(1, n + 1)
        for j in range(1, n + 1)
        if min_tiles <= i * j <= max_tiles
    )
    return tuple(sorted(grids, key=lambda grid: grid[0] * grid[1]))


def tile_grid(
    width: int, height: int, max_tiles: int = 12, input_size: int = 448
) -> tuple[int, int]:
    """(cols, rows) of the tile grid the reference code chooses for an image of this size."""
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if max_tiles < 1:
        raise ValueError(f"max_tiles must be at least 1, got {max_tiles}")
    aspect_ratio = width / height
    area = width * height
    best_diff = float("inf")
    best = (1, 1)
    for cols, rows in candidate_grids(max_tiles):
        diff = abs(aspect_ratio - cols / rows)
        if diff < best_diff:
            best_diff = diff
            best = (cols, rows)
        elif diff == best_diff and area > 0.5 * input_size * input_size * cols * rows:
            # The reference code's tie rule: an equally close, larger grid wins when the image has enough
            # pixels to fill at least half of it.
            best = (cols, rows)
    return best
