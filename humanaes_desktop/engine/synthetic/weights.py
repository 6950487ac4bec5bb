"""Random weights for a synthetic model, streamed into a safetensors file one tensor at a time.

The model is instantiated on the meta device only to learn every parameter's name, shape and
owning module; values are then drawn per tensor from one seeded generator and written straight
to disk, so building the 938 M-parameter preset needs about one tensor's worth of memory.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

DTYPES: dict[str, torch.dtype] = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
}
_SAFETENSORS_DTYPE = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32"}

# Small heads get unit-variance outputs (std 1/sqrt(fan_in)), so their random scores spread over
# [0, 1] instead of all sitting at 0.5; the backbone uses the usual small init.
_HEAD_PREFIXES = ("language_model.lm_regression_head.", "language_model.expert_head.", "metavoter.")


@dataclass(frozen=True)
class TensorSpec:
    """How to fill one parameter: 'normal' (with std), 'fill' (with value)."""

    name: str
    shape: tuple[int, ...]
    rule: str
    value: float


def _spec_for(
    full_name: str,
    module: nn.Module,
    local: str,
    shape: tuple[int, ...],
    std: float,
    layer_scale: float,
) -> TensorSpec:
    is_norm = isinstance(module, nn.LayerNorm) or type(module).__name__.endswith("RMSNorm")
    if local == "bias":
        return TensorSpec(full_name, shape, "fill", 0.0)
    if is_norm:
        return TensorSpec(full_name, shape, "fill", 1.0)
    if local in ("ls1", "ls2"):
        return TensorSpec(full_name, shape, "fill", layer_scale)
    if full_name.startswith(_HEAD_PREFIXES):
        return TensorSpec(full_name, shape, "normal", 1.0 / math.sqrt(shape[-1]))
    if local in ("weight", "class_embedding", "position_embedding"):
        return TensorSpec(full_name, shape, "normal", std)
    raise ValueError(f"no initialisation rule for parameter {full_name}")


def tensor_specs(
    meta_model: nn.Module, std: float = 0.02, layer_scale: float = 0.1
) -> list[TensorSpec]:
    """One spec per parameter of `meta_model`, sorted by name (the file's order).

    `std` is the backbone's init std, `layer_scale` the initial value of the ViT layer scales.
    """
    specs = []
    for module_name, module in meta_model.named_modules():
        for local, param in module.named_parameters(recurse=False):
            full_name = f"{module_name}.{local}" if module_name else local
            shape = tuple(param.shape)
            specs.append(_spec_for(full_name, module, local, shape, std, layer_scale))
    return sorted(specs, key=lambda spec: spec.name)


def _materialise(spec: TensorSpec, generator: torch.Generator) -> torch.Tensor:
    if spec.rule == "fill":
        return torch.full(spec.shape, spec.value, dtype=torch.float32)
    return torch.randn(spec.shape, generator=generator, dtype=torch.float32).mul_(spec.value)


def _header(specs: list[TensorSpec], dtype: torch.dtype, metadata: dict[str, str]) -> bytes:
    item_size = torch.empty((), dtype=dtype).element_size()
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for spec in specs:
        size = math.prod(spec.shape) * item_size
        entry = {
            "dtype": _SAFETENSORS_DTYPE[dtype],
            "shape": list(spec.shape),
            "data_offsets": [offset, offset + size],
        }
        header[spec.name] = entry
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return encoded + b" " * (-len(encoded) % 8)  # the format pads the header to 8 bytes


def write_random_safetensors(
    path: Path, specs: list[TensorSpec], dtype: torch.dtype, seed: int, metadata: dict[str, str]
) -> None:
    """Draw every tensor from one generator seeded with `seed` and stream it into `path`."""
    generator = torch.Generator().manual_seed(seed)
    header = _header(specs, dtype, {"format": "pt", **metadata})
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)))
        handle.write(header)
        for spec in specs:
            tensor = _materialise(spec, generator).to(dtype).contiguous()
            handle.write(tensor.view(-1).view(torch.uint8).numpy().data)
