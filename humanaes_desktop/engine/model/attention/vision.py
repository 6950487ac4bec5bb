"""The vision encoder's attention through torch's scaled_dot_product_attention.

InternVL2's `InternAttention` (and the synthetic model, which keeps its layout) computes attention
in `_naive_attn(x)`: the fused qkv projection, optional q/k RMS normalisation, then the full
tokens x tokens matrix per head (1,025 x 1,025 for a 448-px tile) scaled, soft-maxed and
multiplied with the values, then the output projection. `forward` calls `_naive_attn` whenever
flash-attn is not in use, i.e. always on CPU.

`sdpa_naive_attn` is the same computation with the two matrix products and the softmax fused by
torch (on CPU a blocked kernel that never holds the matrix). It is installed as an instance
attribute `_naive_attn` on each such module, so the model's own `forward` picks it up unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# What `sdpa_naive_attn` reads from a module; a module without all of them is left alone.
_REQUIRED = ("qkv", "proj", "num_heads", "scale")


def vision_attention_modules(model: Any) -> list[nn.Module]:
    """The vision encoder's attention modules laid out like InternVL's InternAttention."""
    vision = getattr(model, "vision_model", None)
    if not isinstance(vision, nn.Module):
        return []
    return [m for m in vision.modules() if _has_naive_attention(m)]


def _has_naive_attention(module: nn.Module) -> bool:
    method = getattr(type(module), "_naive_attn", None)
    return callable(method) and all(hasattr(module, name) for name in _REQUIRED)


def uses_flash_attention(module: nn.Module) -> bool:
    """The module's own forward takes its flash-attn path, not `_naive_attn`."""
    return bool(getattr(module, "use_flash_attn", False))


def sdpa_naive_attn(module: Any, x: torch.Tensor) -> torch.Tensor:
    """`module._naive_attn(x)` with the attention computed by scaled_dot_product_attention.

    `module` is the model's own InternAttention (untyped model code).
    """
    batch, tokens, channels = x.shape
    heads = module.num_heads
    qkv = module.qkv(x).reshape(batch, tokens, 3, heads, channels // heads)
    # One copy into [3, batch, heads, tokens, dim]: torch's CPU kernel reads contiguous heads
    # faster than the strided views of the fused projection (measured 5-15% on 1,025 tokens).
    q, k, v = qkv.permute(2, 0, 3, 1, 4).contiguous().unbind(0)
    if getattr(module, "qk_normalization", False):
        q = _normalised(module.q_norm, q)
        k = _normalised(module.k_norm, k)
    drop = getattr(module, "attn_drop", None)
    dropout = drop.p if module.training and isinstance(drop, nn.Dropout) else 0.0
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, scale=module.scale)
    out = out.transpose(1, 2).reshape(batch, tokens, channels)
    out = module.proj(out)
    proj_drop = getattr(module, "proj_drop", None)
    return proj_drop(out) if proj_drop is not None else out


def _normalised(norm: nn.Module, t: torch.Tensor) -> torch.Tensor:
    """InternViT-6B's q/k norm: over all heads of a token at once, as its `_naive_attn` does."""
    batch, heads, tokens, dim = t.shape
    flat = norm(t.transpose(1, 2).flatten(-2, -1))
    return flat.view(batch, tokens, heads, dim).transpose(1, 2)
