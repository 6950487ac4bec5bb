"""Decode and preprocess the next claimed images on a small pool, ahead of the model.

The model thread only ever waits on a decode when the pool fell behind; how long it waited is
measured (`DecodedPixels.waited_s` is filled in by the worker) so the overlap is visible, not
assumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.library.records import Job

PixelLoader = Callable[[str, PreprocessProfile], Any]


def load_pixels_lazily(path: str, profile: PreprocessProfile) -> Any:
    """The engine's `load_pixels`, imported on first use so torch loads off the GUI's start path."""
    from humanaes_desktop.engine.images.loading import load_pixels

    return load_pixels(path, profile)


@dataclass(frozen=True)
class DecodedPixels:
    pixels: Any  # float tensor [tiles, 3, size, size]
    started_at: float  # time.monotonic() when decoding began
    finished_at: float
    profile: PreprocessProfile

    @property
    def decode_s(self) -> float:
        return self.finished_at - self.started_at


@dataclass
class PrefetchedImage:
    """A claimed job and the decode running (or done) for it."""

    job: Job
    future: Future  # of DecodedPixels; raises what the loader raised


class Prefetcher:
    """A pool of decode threads; the caller keeps the order of the jobs it submits."""

    def __init__(self, load: PixelLoader, threads: int = 2) -> None:
        self._load = load
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="humanaes-decode")

    def submit(self, job: Job, profile: PreprocessProfile) -> PrefetchedImage:
        """Start decoding one job's image in the background."""
        return PrefetchedImage(job, self._pool.submit(self._decode, job.path, profile))

    def _decode(self, path: str, profile: PreprocessProfile) -> DecodedPixels:
        started = time.monotonic()
        pixels = self._load(path, profile)
        return DecodedPixels(pixels, started, time.monotonic(), profile)

    def shutdown(self) -> None:
        """Drop decodes not yet started and wait for running ones (a decode is short)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def await_decode(
    item: PrefetchedImage, should_abandon: Callable[[], bool], poll_s: float = 0.1
) -> bool:
    """Block until the item's decode finished; False if `should_abandon` said stop first."""
    while not item.future.done():
        if should_abandon():
            return False
        wait([item.future], timeout=poll_s, return_when=FIRST_COMPLETED)
    return True
