"""The language model's attention through torch's scaled_dot_product_attention.

transformers 4.44 builds each decoder layer's attention from a table in the model's module,
`QWEN2_ATTENTION_CLASSES = {"eager": Qwen2Attention, "flash_attention_2": ..., "sdpa":
Qwen2SdpaAttention}`, keyed by `config._attn_implementation`. InternVL's chat class sets that
key to "eager" whenever flash-attn is missing, so on CPU every layer materialises its
(heads x tokens x tokens) scores, adds a 4-D mask, soft-maxes in fp32 and copies back: the
largest cost of a camera-size photo.

The SDPA class is a subclass of the eager one with only `forward` replaced, same weights, same
cache handling. So the swap binds that `forward` onto each eager module instance and sets the
language model's `config._attn_implementation` to "sdpa" (which lets the model pass no mask
at all for a plain causal pass, so the kernel runs causally without one). Models whose code
keeps such a table (transformers' own Qwen2, and remote code copied from it) can be swapped;
any other layout is left as it is, and says so.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from torch import nn

SDPA = "sdpa"


@dataclass(frozen=True)
class LanguageAttention:
    """What the language model's attention is, and how it can be swapped."""

    implementation: str  # the config's _attn_implementation ("eager", "sdpa", ...) or "unknown"
    swappable: list[tuple[nn.Module, type[Any]]]  # (eager module, its SDPA class)
    unmatched: int  # attention modules of an eager class with no SDPA sibling


def language_attention(lm: Any) -> LanguageAttention:
    """Find the eager attention modules of `lm` that have an SDPA sibling class."""
    config = getattr(lm, "config", None)
    implementation = str(getattr(config, "_attn_implementation", None) or "unknown")
    swappable: list[tuple[nn.Module, type[Any]]] = []
    unmatched = 0
    if not isinstance(lm, nn.Module):
        return LanguageAttention(implementation, swappable, unmatched)
    for module in lm.modules():
        table = _attention_table(type(module))
        if table is None or table.get("eager") is not type(module):
            continue
        sdpa = table.get(SDPA)
        if isinstance(sdpa, type) and issubclass(sdpa, type(module)) and sdpa is not type(module):
            swappable.append((module, sdpa))
        else:
            unmatched += 1
    return LanguageAttention(implementation, swappable, unmatched)


def _attention_table(cls: type) -> dict[str, Any] | None:
    """The `*_ATTENTION_CLASSES` table of the module that defines `cls`, if it lists `cls`."""
    for name, value in _defining_namespace(cls).items():
        if name.endswith("ATTENTION_CLASSES") and isinstance(value, dict):
            if cls in value.values():
                return value
    return None


def _defining_namespace(cls: type) -> dict[str, Any]:
    """The globals `cls` was defined in: those its own `forward` sees, else its module's.

    A model's remote code lives in `sys.modules` under `transformers_modules.<folder name>`,
    and loading another folder of the same name replaces that entry (load_support's
    isolate_remote_code), so the name may point at a newer copy; the function's globals are
    the module the class really came from.
    """
    forward = cls.__dict__.get("forward")
    namespace = getattr(forward, "__globals__", None)
    if isinstance(namespace, dict) and namespace.get("__name__") == cls.__module__:
        return namespace
    defining = sys.modules.get(cls.__module__)
    return vars(defining) if defining is not None else {}
