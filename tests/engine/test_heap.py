"""glibc heap tuning around long language-model passes (engine/model/heap.py).

Measured through glibc's own accounting (mallinfo2), in a fresh process so no earlier test's
free heap blocks are in play: a tensor of a few MiB is carved out of the heap at the run
threshold, and gets a mapping of its own inside `long_pass_in_own_mappings` (once the heap has
no free block that fits, which a fresh process's heap has not), so freeing it hands its pages
straight back instead of leaving resident free heap behind.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

_CHILD = textwrap.dedent(
    """
    import ctypes, json, torch
    from humanaes_desktop.engine.model.heap import (
        long_pass_in_own_mappings, tensors_in_their_own_mappings)

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2

    def chunks_for_a_tensor():
        before = libc.mallinfo2().hblks
        tensor = torch.empty(3 << 18, dtype=torch.float32)  # 3 MiB
        during = libc.mallinfo2().hblks
        del tensor
        return during - before

    with tensors_in_their_own_mappings():
        pass  # what a model load leaves: the fixed run thresholds
    result = {"run": chunks_for_a_tensor()}
    with long_pass_in_own_mappings():
        result["long_pass"] = chunks_for_a_tensor()
    with long_pass_in_own_mappings(enabled=False):
        result["disabled"] = chunks_for_a_tensor()
    result["after"] = chunks_for_a_tensor()
    print(json.dumps(result))
    """
)


def test_a_long_pass_gives_mid_sized_tensors_their_own_mapping_and_restores_the_heap_after():
    if not hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2"):
        pytest.skip("glibc older than 2.33 has no mallinfo2")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["long_pass"] == 1  # its own mapping: freed, it leaves nothing resident
    # Outside a long pass (and for a pass that is not on the CPU), the heap serves it: the
    # vision encoder's many mid-sized tensors keep reusing warm heap memory.
    assert result == {"run": 0, "long_pass": 1, "disabled": 0, "after": 0}


def test_only_a_pass_with_large_activations_on_the_cpu_is_long():
    import torch

    from humanaes_desktop.engine.model.heap import is_long_cpu_pass

    camera = (1, 3376, 896)  # a 12-MP photo's positions x the language model's width
    assert is_long_cpu_pass(torch.empty(camera, dtype=torch.float32))
    assert not is_long_cpu_pass(torch.empty(camera, dtype=torch.bfloat16))
    assert not is_long_cpu_pass(torch.empty((1, 300, 896), dtype=torch.float32))
    assert not is_long_cpu_pass(torch.empty(camera, dtype=torch.float32, device="meta"))
