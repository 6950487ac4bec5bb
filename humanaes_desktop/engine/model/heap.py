"""Resident memory around a model load: glibc's heap, tuned and trimmed (no-ops elsewhere).

glibc serves allocations below a sliding threshold (up to 32 MiB) from its heap and keeps freed
heap pages resident. A load interleaves ~1,000 short-lived fp16 read buffers with long-lived
converted parameters of the same sizes, so the freed buffers become resident holes between
parameters: the peak of an fp32 load of the 1B model varied between 4.2 and 5.4 GiB from run to
run, and the resident size after it by ~0.7 GB.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_LOAD_MMAP_THRESHOLD = 1 << 20  # while loading, every tensor of 1 MiB or more is its own mapping
_LONG_PASS_MMAP_THRESHOLD = 1 << 20  # the same during a long language-model pass
# A pass is long when one layer's activations over its positions are this large: an fp32
# camera-size photo (~3,400 positions x 896 x 4 bytes = 12 MB) is; its bf16 pass (6 MB) and
# smaller photos are not, and stay within their memory budget on the heap alone.
_LONG_PASS_ACTIVATION_BYTES = 8 << 20
_RUN_MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its sliding threshold
_RUN_TRIM_THRESHOLD = 64 << 20  # what glibc pairs with it (twice the mmap threshold)


def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both must exist: glibc, not musl)
    except (OSError, AttributeError) as exc:
        log.debug("glibc malloc tuning unavailable: %s", exc)
        return None
    return libc


@contextlib.contextmanager
def tensors_in_their_own_mappings() -> Iterator[None]:
    """While loading, give every large allocation its own mapping, so a freed read buffer goes
    straight back to the system instead of leaving a hole between parameters.

    Afterwards the threshold is fixed where glibc's sliding rule ends up anyway, so inference's
    short-lived tensors keep reusing heap memory (a mapping per allocation would pay fresh page
    faults for every layer).
    """
    with _own_mappings_from(_LOAD_MMAP_THRESHOLD, _glibc(), trim_first=False):
        yield


@contextlib.contextmanager
def long_pass_in_own_mappings(enabled: bool = True) -> Iterator[None]:
    """During a language-model pass over thousands of positions, start from a trimmed heap and
    give its tensors of 1 MiB or more their own mappings (glibc applies the threshold to blocks
    the heap has no free room for: freed blocks are reused first, then new ones are mapped).

    Each decoder layer frees ~12 MB activations (fp32, a camera-size photo's ~3,400 positions)
    between the key/value cache entries it keeps, and the vision encoder before it leaves its
    own freed blocks: in the heap those became 0.2-0.5 GB of resident free memory at the
    pass's peak, as much as its live tensors. With their own mappings they go back as they are
    freed, for some fresh page faults: measured ~2% of a camera-size bf16 pass, within the
    noise in fp32 (the vision encoder, with its smaller products: ~10%, so it keeps the heap).
    Only long passes pay it (`is_long_cpu_pass`): their resident free heap is what crossed
    the fp32 memory budget.
    """
    with _own_mappings_from(
        _LONG_PASS_MMAP_THRESHOLD, _glibc() if enabled else None, trim_first=True
    ):
        yield


@contextlib.contextmanager
def _own_mappings_from(threshold: int, libc: Any, trim_first: bool) -> Iterator[None]:
    """Allocations of `threshold` bytes or more in their own mappings, then the run thresholds."""
    if libc is not None:
        if trim_first:
            libc.malloc_trim(0)
        libc.mallopt(_M_MMAP_THRESHOLD, threshold)
    try:
        yield
    finally:
        if libc is not None:
            libc.mallopt(_M_MMAP_THRESHOLD, _RUN_MMAP_THRESHOLD)
            libc.mallopt(_M_TRIM_THRESHOLD, _RUN_TRIM_THRESHOLD)


def is_long_cpu_pass(embeds: Any) -> bool:
    """A CPU language-model pass over these input embeddings [1, positions, width] is long."""
    return (
        embeds.device.type == "cpu"
        and embeds.numel() * embeds.element_size() >= _LONG_PASS_ACTIVATION_BYTES
    )


def release_free_heap() -> None:
    """Hand freed heap pages back to the system (glibc's malloc_trim)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
