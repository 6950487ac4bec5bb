"""What an assessment must cost at least: FLOPs from the model's config, GEMM rates at its shapes.

The physical limit of one assessment on a machine (DESIGN §4) is the arithmetic it cannot avoid
-- one vision-encoder pass per tile and one language-model pass over the tokens the reuse layer
computes -- at the matrix-product rate of the fastest dtype measured in the same run. This
module counts that arithmetic from the model's config.json and measures the rates at the
model's own matrix shapes; bench_assess.py divides one by the other.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

# CPU flags that decide which dtype is fast (lscpu names).
RELEVANT_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile")


@dataclass(frozen=True)
class Shapes:
    """The sizes of the model that set its arithmetic."""

    vit_layers: int
    vit_width: int
    vit_mlp: int
    vit_tokens: int  # per tile, class token included
    image_tokens: int  # per tile, after pixel shuffle
    projector_in: int  # width of a pixel-shuffled token
    llm_layers: int
    llm_width: int
    llm_kv_width: int  # key/value heads x head size
    llm_mlp: int
    vit_heads: int = 16
    llm_heads: int = 14

    @classmethod
    def of(cls, model_folder: Path) -> Shapes:
        config = json.loads((model_folder / "config.json").read_text())
        vision, llm = config["vision_config"], config["llm_config"]
        side = vision["image_size"] // vision["patch_size"]
        shuffle = config.get("downsample_ratio", 0.5)
        head = llm["hidden_size"] // llm["num_attention_heads"]
        return cls(
            vit_layers=vision["num_hidden_layers"],
            vit_width=vision["hidden_size"],
            vit_mlp=vision["intermediate_size"],
            vit_tokens=side * side + 1,
            image_tokens=int(side * side * shuffle * shuffle),
            projector_in=vision["hidden_size"] * int(round(1 / shuffle)) ** 2,
            llm_layers=llm["num_hidden_layers"],
            llm_width=llm["hidden_size"],
            llm_kv_width=llm.get("num_key_value_heads", llm["num_attention_heads"]) * head,
            llm_mlp=llm["intermediate_size"],
            vit_heads=vision["num_attention_heads"],
            llm_heads=llm["num_attention_heads"],
        )

    def vision_gemms(self) -> list[tuple[int, int, int]]:
        """(rows, in, out) of one vision layer's linear products for one tile."""
        n, d, m = self.vit_tokens, self.vit_width, self.vit_mlp
        return [(n, d, 3 * d), (n, d, d), (n, d, m), (n, m, d)]

    def language_gemms(self, tokens: int) -> list[tuple[int, int, int]]:
        """(rows, in, out) of one language-model layer's linear products over `tokens`."""
        d, kv, m = self.llm_width, self.llm_kv_width, self.llm_mlp
        return [(tokens, d, d), (tokens, d, kv), (tokens, d, kv), (tokens, d, d)] + [
            (tokens, d, m),
            (tokens, d, m),
            (tokens, m, d),
        ]

    def vision_flops(self, tiles: int) -> float:
        """One vision pass per tile: linear layers, attention (QK^T and AV), the projector."""
        n, d = self.vit_tokens, self.vit_width
        linear = sum(2.0 * r * i * o for r, i, o in self.vision_gemms())
        attention = 4.0 * n * n * d
        patches = 2.0 * (n - 1) * 3 * 14 * 14 * d
        width = self.llm_width
        projector = 2.0 * self.image_tokens * (self.projector_in * width + width * width)
        return tiles * (self.vit_layers * (linear + attention) + patches + projector)

    def language_flops(self, tokens: int) -> float:
        """A causal pass over `tokens` positions: linear layers plus the causal half of attention."""
        linear = sum(2.0 * r * i * o for r, i, o in self.language_gemms(tokens))
        attention = 2.0 * tokens * tokens * self.llm_width
        return self.llm_layers * (linear + attention)

    def attention_flops(self, tiles: int, tokens: int) -> dict[str, float]:
        """The attention products' share of `vision_flops` and `language_flops`."""
        vision = tiles * self.vit_layers * 4.0 * self.vit_tokens**2 * self.vit_width
        return {"vision": vision, "language": self.llm_layers * 2.0 * tokens**2 * self.llm_width}


def attention_rates_at(
    shapes: Shapes, tokens: int, dtype: str, budget_s: float
) -> dict[str, float]:
    """GFLOP/s of torch's scaled_dot_product_attention at the model's own attention shapes:
    one tile of the vision encoder (all heads), and the language model's causal pass over
    `tokens` positions. A diagnostic beside the GEMM rates: the physical limit counts every
    FLOP at the GEMM rate, and on CPUs without AMX the attention kernel runs well below it."""
    import time

    import torch
    import torch.nn.functional as F

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    cases = {
        "vision": (shapes.vit_heads, shapes.vit_tokens, shapes.vit_width, False),
        "language": (shapes.llm_heads, tokens, shapes.llm_width, True),
    }
    flops = shapes.attention_flops(1, tokens)
    rates = {}
    with torch.inference_mode():
        for group, (heads, n, width, causal) in cases.items():
            q, k, v = (torch.randn(1, heads, n, width // heads).to(torch_dtype) for _ in range(3))
            per_layer = flops[group] / (
                shapes.vit_layers if group == "vision" else shapes.llm_layers
            )
            best, start = float("inf"), time.perf_counter()
            while best == float("inf") or time.perf_counter() - start < budget_s / 2:
                begin = time.perf_counter()
                F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                best = min(best, time.perf_counter() - begin)
            rates[group] = round(per_layer / best / 1e9, 1)
    return rates


def gemm_rates_at(shapes: Shapes, tokens: int, budget_s: float) -> dict[str, dict[str, float]]:
    """GFLOP/s per dtype for the vision and the language shapes, best of interleaved rounds."""
    from humanaes_desktop.engine.model.gemm_probe import gemm_rates

    return {
        "vision": gemm_rates(shapes.vision_gemms(), budget_s=budget_s, min_rounds=3),
        "language": gemm_rates(shapes.language_gemms(tokens), budget_s=budget_s, min_rounds=3),
    }


def cpu_flags() -> list[str]:
    """The relevant flags this CPU has (Linux /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    present = set(line.split(":", 1)[-1].split())
    return [flag for flag in RELEVANT_FLAGS if flag in present]


def machine_line() -> str:
    """CPU, flags and load, for the benchmark's header and the README."""
    from humanaes_desktop.engine.model.dtype_choice import cpu_model

    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    flags = " ".join(cpu_flags()) or "none of " + " ".join(RELEVANT_FLAGS)
    return f"{cpu_model()}, {os.cpu_count()} CPUs, flags: {flags}; load average {load}"


def peak_rss_bytes() -> int:
    """This process's own peak resident size: VmHWM of /proc/self/status.

    Not getrusage's ru_maxrss, which Linux carries across execve: a child started by a parent
    that holds a gigabyte reports at least that gigabyte. Elsewhere, ru_maxrss it is.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    import sys

    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
