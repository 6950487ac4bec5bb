"""The data the reuse session keeps (reuse.py): switches, counters, stored passes, helpers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch


@dataclass
class ReuseStats:
    """What the wrappers saved. Tokens are sequence positions through the language model."""

    vision_calls: int = 0
    vision_computed: int = 0
    lm_calls: int = 0
    lm_full_hits: int = 0
    lm_prefix_hits: int = 0
    lm_computed: int = 0  # full passes run
    lm_passthrough: int = 0  # calls not eligible for reuse
    tokens_requested: int = 0
    tokens_computed: int = 0
    vision_s: float = 0.0
    lm_s: float = 0.0

    @property
    def vision_hits(self) -> int:
        return self.vision_calls - self.vision_computed

    def as_dict(self) -> dict[str, float]:
        """Plain numbers, for logs, benchmarks and the CLI."""
        return {**asdict(self), "vision_hits": self.vision_hits}


@dataclass
class ReusePolicy:
    """Per-model switches; the adapter keeps one for the lifetime of a loaded model."""

    vision: bool = True
    lm_exact: bool = True
    lm_prefix: bool = True
    self_check: bool = True  # verify the first prefix reuse against a full pass
    checked: bool = False
    check_detail: str = ""  # what the self-check measured, for the verdict kept on disk
    # Keep every pass's full logits (the first version's behaviour; the memory benchmark's
    # "before"). Otherwise, once the model's output head is checked to reproduce its logits
    # (deferred_head.py; None: not checked yet), passes defer the head and every answer's
    # logits are LazyLogits.
    keep_full_logits: bool = False
    logits_from_hidden: bool | None = None
    logits_dtype: torch.dtype | None = None  # what the model's logits are cast to
    # Hidden states a pass returns, when the same check found that a pass run without them
    # feeds the head the same final state (0: passes collect every layer).
    hidden_count: int = 0
    # Tiles per vision-encoder call on CPU (None: all at once, as the reference code does).
    cpu_tiles_per_vision_call: int | None = 1
    warned_seams: set[str] = field(default_factory=set)


@dataclass
class StoredPass:
    """One language-model pass over a sequence, kept for reuse within the session."""

    embeds: torch.Tensor  # [1, T, H]
    logits: list[torch.Tensor]  # segments along dim 1 (a prefix segment is a view: no copy)
    # When set, no logits are kept: answers compute them from hidden[-1] with this head.
    head: torch.nn.Module | None
    hidden: tuple[torch.Tensor, ...] | None
    cache: tuple[tuple[torch.Tensor, torch.Tensor], ...] | None  # legacy layout [1, h, T, d]
    cache_as_tuple: bool
    output_type: type
    raw: Any  # the original output, returned on an exact hit when reuse is not possible
    splittable: bool  # outputs are only logits/hidden states/cache: prefix reuse allowed
    logits_dtype: torch.dtype | None = None

    @property
    def length(self) -> int:
        return self.embeds.shape[1]

    def logits_prefix(self, n: int) -> list[torch.Tensor]:
        out, left = [], n
        for seg in self.logits:
            if left <= 0:
                break
            out.append(seg[:, :left])
            left -= seg.shape[1]
        return out


def same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Identical tensors: same object, or same shape, dtype, device and values."""
    if a is b:
        return True
    return a.shape == b.shape and a.dtype == b.dtype and a.device == b.device and torch.equal(a, b)


def common_prefix_length(a: torch.Tensor, b: torch.Tensor) -> int:
    """Number of leading positions (dim 1) where two [1, T, H] tensors are identical."""
    if a.dtype != b.dtype or a.device != b.device or a.shape[2:] != b.shape[2:]:
        return 0
    n = min(a.shape[1], b.shape[1])
    equal = (a[0, :n] == b[0, :n]).all(dim=-1)
    mismatch = (~equal).nonzero()
    return int(mismatch[0, 0]) if mismatch.numel() else n


def legacy_cache(cache: Any) -> tuple | None:
    """A key/value cache as the legacy tuple of (key, value) per layer."""
    if cache is None:
        return None
    if hasattr(cache, "to_legacy_cache"):
        return cache.to_legacy_cache()
    return tuple((layer[0], layer[1]) for layer in cache)


def as_cache_object(legacy: tuple, as_tuple: bool) -> Any:
    """The legacy tuple itself, or a transformers DynamicCache holding it."""
    if as_tuple:
        return legacy
    from transformers.cache_utils import DynamicCache

    return DynamicCache.from_legacy_cache(legacy)


def has_output(out: Any, name: str) -> bool:
    """The model output carries a non-None `name` field."""
    return out.get(name) is not None


def tolerance(tensor: torch.Tensor) -> float:
    """Relative agreement expected between two ways of computing the same values."""
    return 1e-3 if tensor.dtype == torch.float32 else 5e-2
