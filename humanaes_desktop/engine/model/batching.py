"""Several photos per vision-encoder forward: the GPU's share of batching, behind a switch.

A GPU is underused by one photo's 1-13 tiles; the vision encoder treats tiles independently, so
the tiles of several photos go through it in one batch and each photo's features are handed to
its own `assess()` (which then never runs the encoder itself). The language-model prefill stays
one photo at a time: the model's own `score`/`run_metavoter`/`expert_score` build one prompt per
call around one image, so batching them would mean rewriting the model's code, and the reuse
session already cuts each photo to close to one prefill.

Results equal the one-at-a-time ones within float tolerance (a batched matrix product may sum
in another order); tests/engine/test_batching.py compares them on CPU.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence

import torch

from humanaes_desktop.engine.assessment import Assessment, PreprocessProfile
from humanaes_desktop.engine.model.adapter import HumanAesExpert

log = logging.getLogger(__name__)

# Tiles per vision forward on a GPU (4 camera-size photos at 12+1 tiles; ~1.3 GB of activations
# for InternViT-300M in fp16). Measure before raising it.
DEFAULT_TILES_PER_BATCH = 52


def tile_groups(tile_counts: Sequence[int], max_tiles: int) -> list[list[int]]:
    """Indices of consecutive photos whose tiles, together, stay within `max_tiles`.

    A photo with more tiles than `max_tiles` forms a group of its own.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, count in enumerate(tile_counts):
        if current and used + count > max_tiles:
            groups.append(current)
            current, used = [], 0
        current.append(index)
        used += count
    if current:
        groups.append(current)
    return groups


def assess_batch(
    engine: HumanAesExpert,
    pixels: Sequence[torch.Tensor],
    *,
    profile: PreprocessProfile,
    annotate: bool = False,
    max_tiles: int = DEFAULT_TILES_PER_BATCH,
) -> list[Assessment | Exception]:
    """Assess several photos, their tiles batched through the vision encoder.

    One entry per photo, in order: its Assessment, or the exception that photo raised (one bad
    photo does not fail the others). If a batched forward fails (out of memory), that group is
    scored one photo at a time instead, and the fallback is logged.
    """
    results: list[Assessment | Exception] = []
    for group in tile_groups([int(p.shape[0]) for p in pixels], max_tiles):
        results += _assess_group(engine, [pixels[i] for i in group], profile, annotate)
    return results


def _assess_group(
    engine: HumanAesExpert,
    pixels: list[torch.Tensor],
    profile: PreprocessProfile,
    annotate: bool,
) -> list[Assessment | Exception]:
    features: list[torch.Tensor | None] = [None] * len(pixels)
    share = [0.0] * len(pixels)
    if len(pixels) > 1:
        try:
            batched, share = _batched_features(engine, pixels)
            features = [*batched]
        except (RuntimeError, ValueError) as exc:  # torch.OutOfMemoryError is a RuntimeError
            log.warning(
                "batched vision forward of %d photos failed (%s: %s); scoring them one at a time",
                len(pixels),
                type(exc).__name__,
                exc,
            )
            features = [None] * len(pixels)
    results: list[Assessment | Exception] = []
    for tiles, feature, seconds in zip(pixels, features, share, strict=True):
        try:
            assessment = engine.assess(
                tiles, annotate=annotate, profile=profile, vision_features=feature
            )
        except Exception as exc:  # returned to the caller, who reports it per photo
            results.append(exc)
            continue
        results.append(_with_batch_timing(assessment, seconds, len(pixels), feature is not None))
    return results


def _batched_features(
    engine: HumanAesExpert, pixels: list[torch.Tensor]
) -> tuple[list[torch.Tensor], list[float]]:
    """Each photo's vision features from one forward, and its share of that forward's time."""
    prepared = [engine._prepare(p) for p in pixels]  # on the device and in the dtype, each
    counts = [int(t.shape[0]) for t in prepared]
    start = time.perf_counter()
    features = engine.vision_features(torch.cat(prepared))
    if features.shape[0] != sum(counts):
        raise ValueError(f"extract_feature returned {features.shape[0]} rows for {sum(counts)}")
    seconds = time.perf_counter() - start
    total = sum(counts)
    return list(torch.split(features, counts)), [seconds * n / total for n in counts]


def _with_batch_timing(
    assessment: Assessment, vision_s: float, photos: int, batched: bool
) -> Assessment:
    if not batched:
        return assessment
    timings = dict(assessment.timings)
    timings["vision"] = timings.get("vision", 0.0) + vision_s
    timings["total"] = timings.get("total", 0.0) + vision_s
    timings["vision_batch_photos"] = float(photos)
    return dataclasses.replace(assessment, timings=timings)
