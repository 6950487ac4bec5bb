"""Measure matrix-product rates per dtype, and let `auto` pick the CPU's faster precision.

`gemm_rates` times linear layers of given shapes in fp32 and bf16, interleaved round by round
(so a change in the machine's load hits both), keeping each dtype's best round. With the
default shapes (the MLP products of InternViT-300M and Qwen2-0.5B) and budget it
takes well under a second; the assessment benchmark calls it with the model's full shapes.
`auto_cpu_dtype` is the choice `--dtype auto` makes on CPU (dtype_choice.py keeps the record).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import torch
import torch.nn.functional as F

from humanaes_desktop.engine.model import dtype_choice
from humanaes_desktop.engine.model.dtype_choice import CpuDtypeVerdict

log = logging.getLogger(__name__)

# (rows, in features, out features): InternViT-300M fc1 and Qwen2-0.5B down_proj; 128 rows keep
# the probe short on a loaded machine and are plenty for a GEMM kernel to reach its pace.
PROBE_SHAPES: tuple[tuple[int, int, int], ...] = ((128, 1024, 4096), (128, 4864, 896))
PROBE_BUDGET_S = 0.4
_TORCH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def gemm_rates(
    shapes: Iterable[tuple[int, int, int]] = PROBE_SHAPES,
    dtypes: Iterable[str] = ("fp32", "bf16"),
    *,
    budget_s: float = PROBE_BUDGET_S,
    min_rounds: int = 2,
    max_rounds: int = 20,
) -> dict[str, float]:
    """GFLOP/s per dtype: all `shapes` once per round, best round kept, rounds interleaved."""
    shapes, names = list(shapes), list(dtypes)
    operands = {n: [_operands(s, _TORCH_DTYPES[n]) for s in shapes] for n in names}
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    best = dict.fromkeys(names, float("inf"))
    with torch.inference_mode():
        for name in names:  # first calls pay for kernel selection and packing
            _run(operands[name])
        start = time.perf_counter()
        for round_index in range(max_rounds):
            if round_index >= min_rounds and time.perf_counter() - start > budget_s:
                break
            for name in names:
                begin = time.perf_counter()
                _run(operands[name])
                best[name] = min(best[name], time.perf_counter() - begin)
    return {name: flops / seconds / 1e9 for name, seconds in best.items()}


def _operands(shape: tuple[int, int, int], dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    rows, inputs, outputs = shape
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(rows, inputs, generator=generator).to(dtype)
    weight = (torch.randn(outputs, inputs, generator=generator) * inputs**-0.5).to(dtype)
    return x, weight


def _run(operands: list[tuple[torch.Tensor, ...]]) -> None:
    for x, weight in operands:
        F.linear(x, weight)


def auto_cpu_dtype() -> tuple[str, CpuDtypeVerdict | None, str]:
    """(dtype, the verdict behind it, a phrase saying why) for `--dtype auto` on CPU."""
    fixed = dtype_choice.override()
    if fixed:
        return fixed, None, f"set by {dtype_choice.OVERRIDE_ENV}"
    verdict = dtype_choice.cached_verdict()
    if verdict is not None:
        return verdict.dtype, verdict, f"{verdict.describe()}, earlier on this CPU"
    if not _bf16_usable():
        return "fp32", None, "this torch build cannot compute in bf16 on this CPU"
    start = time.perf_counter()
    rates = gemm_rates()
    verdict = dtype_choice.remember(rates["fp32"], rates["bf16"], torch.get_num_threads())
    took = time.perf_counter() - start
    return verdict.dtype, verdict, f"{verdict.describe()}, now in {took:.2f} s"


def _bf16_usable() -> bool:
    try:
        F.linear(torch.ones(2, 2, dtype=torch.bfloat16), torch.ones(2, 2, dtype=torch.bfloat16))
    except RuntimeError:
        return False
    return True
