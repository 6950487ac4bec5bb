"""Scoring one image: the engine call with its out-of-memory fallback, and failure wording.

Kept apart from the worker's threading so each rule here reads (and is tested) on its own.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import sys
from typing import Any

from humanaes_desktop.engine.assessment import Assessment, PreprocessProfile
from humanaes_desktop.engine.images.failures import is_file_system_error
from humanaes_desktop.library.records import Job
from humanaes_desktop.pipeline.contracts import Engine
from humanaes_desktop.pipeline.prefetch import PixelLoader

log = logging.getLogger(__name__)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for an accelerator running out of memory (torch.cuda.OutOfMemoryError and kin)."""
    # By name, so this module never imports torch: OutOfMemoryError exists only in torch.
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_accelerator_memory() -> None:
    """Give cached GPU memory back after an OOM or an unload; a no-op on CPU."""
    gc.collect()
    torch = sys.modules.get("torch")  # only if the engine already imported it
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def assess_with_fallback(
    engine: Engine,
    job: Job,
    pixels: Any,
    profile: PreprocessProfile,
    load_pixels: PixelLoader,
    *,
    annotate_all: bool = False,
) -> Assessment:
    """Score a claimed job's image, halving max_tiles on out-of-memory (`assess_reducing_tiles`).

    `annotate_all` (the "annotation: on" setting) annotates every image, not only those whose
    job asked for it.
    """
    annotate = job.annotate or annotate_all
    return assess_reducing_tiles(engine, job.path, pixels, profile, load_pixels, annotate=annotate)


def assess_reducing_tiles(
    engine: Engine,
    path: str,
    pixels: Any,
    profile: PreprocessProfile,
    load_pixels: PixelLoader,
    *,
    annotate: bool = False,
    **options: Any,
) -> Assessment:
    """Run the engine; on out-of-memory halve max_tiles (down to 1), decode again and retry.

    `options` go to `engine.assess` as they are (the CLI's `sample`). The returned Assessment
    carries the profile actually used, so a reduced-tile score is never mistaken for a full one.
    """
    while True:
        try:
            return engine.assess(pixels, annotate=annotate, profile=profile, **options)
        except Exception as exc:
            if not is_out_of_memory(exc) or profile.max_tiles <= 1:
                raise
            smaller = dataclasses.replace(profile, max_tiles=max(1, profile.max_tiles // 2))
            log.warning(
                "out of memory on %s with %d tiles; retrying with %d",
                path,
                profile.max_tiles,
                smaller.max_tiles,
            )
            pixels = None  # drop the big tensor before decoding the smaller one
            free_accelerator_memory()
            profile = smaller
            pixels = load_pixels(path, profile)


def describe_load_failure(exc: BaseException) -> tuple[str, bool]:
    """(reason for the user, permanent?) for an exception raised while decoding an image."""
    permanent = getattr(exc, "permanent", None)
    if isinstance(permanent, bool):  # the engine's ImageLoadError says which it is
        return str(exc), permanent
    if is_file_system_error(exc):  # locked, vanished or unreadable right now: worth a retry
        return f"the file could not be read right now: {exc}", False
    # Anything else is about the bytes (a bare OSError "image file is truncated" included):
    # retrying the same bytes gives the same answer.
    return f"the image could not be decoded: {type(exc).__name__}: {exc}", True


def describe_assess_failure(exc: BaseException) -> tuple[str, bool]:
    """(reason for the user, permanent?) for an exception raised by the model on one image."""
    if is_out_of_memory(exc):  # even one tile did not fit; memory may be free later
        return f"out of memory even with one tile: {exc}", False
    return f"the model failed on this image: {type(exc).__name__}: {exc}", True


def with_pipeline_timings(assessment: Assessment, decode_s: float, waited_s: float) -> Assessment:
    """The assessment plus how long decoding took and how long the model waited for it."""
    timings = dict(assessment.timings)
    timings["decode"] = decode_s
    timings["decode_wait"] = waited_s
    return dataclasses.replace(assessment, timings=timings)
