"""The one-time self-check of the attention swap: the swapped kernel against the model's own.

- Language model: a made-up sequence of CHECK_TOKENS real token embeddings (seeded ids, so the
  verdict is a property of the model and the code, not of a photo) runs through the decoder
  with the model's own attention and with SDPA: the final hidden states of a plain causal pass
  must agree, and so must the last CONTINUATION_TOKENS positions computed on top of the SDPA
  pass's key/value cache (the path prefix reuse takes). 520 tokens span more than one key
  block of torch's CPU kernel; the cost is about two passes over a 2-tile prompt.
- Vision encoder: during the first vision call after loading, every swapped module computes
  both its own `_naive_attn` and the SDPA kernel on the real input and returns its own; the
  first module that disagrees switches the swap off at once, so no score ever sees a wrong
  kernel.

Agreement is the relative L2 difference, ||swapped - own|| / ||own||, within a tolerance for
the dtype (two correct fp32 orders of summation agree to ~1e-6; bf16 ones to ~1e-2; a wrong
mask or key order is off by order 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from humanaes_desktop.engine.model.attention.swap import (
    LANGUAGE,
    VISION,
    AttentionSwap,
    VisionCheck,
)
from humanaes_desktop.engine.model.reuse.parts import as_cache_object, legacy_cache

CHECK_TOKENS = 520
CONTINUATION_TOKENS = 8
_SEED = 0


@dataclass(frozen=True)
class CheckOutcome:
    """The verdict of one part's self-check."""

    part: str
    agrees: bool
    difference: float  # worst relative L2 difference seen
    tolerance: float
    detail: str

    def describe(self) -> str:
        """One phrase for logs: what was compared and how far apart it was."""
        verdict = "agrees" if self.agrees else "DIFFERS"
        return (
            f"{self.part} SDPA {verdict} with the model's own attention "
            f"({self.detail}; relative difference {self.difference:.2g}, "
            f"tolerance {self.tolerance:.2g})"
        )


def tolerance_for(dtype: torch.dtype) -> float:
    """How far two correct computations of attention may drift apart in `dtype`."""
    # bf16: the full 1B-shaped synthetic model's 24 layers drift apart by 0.02 (eager vs SDPA,
    # 520 tokens); 0.1 leaves room for a real model's larger activations.
    return 1e-3 if dtype == torch.float32 else 0.1


def relative_difference(reference: torch.Tensor, candidate: torch.Tensor) -> float:
    """||candidate - reference|| / ||reference||, computed in fp32; inf if not finite."""
    ref, cand = reference.float(), candidate.float()
    if ref.shape != cand.shape or not bool(torch.isfinite(cand).all()):
        return math.inf
    return float((cand - ref).norm() / ref.norm().clamp_min(1e-12))


# -- language model ---------------------------------------------------------------------------
def check_language(swap: AttentionSwap) -> CheckOutcome:
    """Compare the swapped language model with its own attention on a made-up sequence."""
    lm = swap.model.language_model
    body = _decoder(lm)
    embeds = _check_embeddings(lm)
    length, tail = embeds.shape[1], min(CONTINUATION_TOKENS, embeds.shape[1] - 1)
    with torch.inference_mode():
        with swap.originals(LANGUAGE):
            reference, _ = _causal_pass(body, embeds)
        swapped, cache = _causal_pass(body, embeds)
        continued = _continuation(body, embeds, cache, length - tail)
    tolerance = tolerance_for(embeds.dtype)
    full = relative_difference(reference, swapped)
    cont = relative_difference(reference[:, length - tail :], continued)
    worst = max(full, cont)
    detail = f"{length} tokens: causal pass {full:.2g}, {tail} cached positions {cont:.2g}"
    return CheckOutcome(LANGUAGE, worst <= tolerance, worst, tolerance, detail)


def _decoder(lm: Any) -> Any:
    """The decoder without the output head (transformers' `base_model`), else the model."""
    base = getattr(lm, "base_model", None)
    return base if isinstance(base, nn.Module) else lm


def _check_embeddings(lm: Any) -> torch.Tensor:
    embed = lm.get_input_embeddings()
    limit = getattr(getattr(lm, "config", None), "max_position_embeddings", None) or CHECK_TOKENS
    length = max(2, min(CHECK_TOKENS, int(limit) - 1))
    generator = torch.Generator().manual_seed(_SEED)
    ids = torch.randint(0, embed.num_embeddings, (1, length), generator=generator)
    with torch.inference_mode():
        return embed(ids.to(embed.weight.device))


def _causal_pass(body: Any, embeds: torch.Tensor) -> tuple[torch.Tensor, Any]:
    out = body(
        inputs_embeds=embeds,
        attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device),
        use_cache=True,
        output_hidden_states=True,
        return_dict=True,
    )
    return out.hidden_states[-1], out.past_key_values


def _continuation(body: Any, embeds: torch.Tensor, cache: Any, start: int) -> torch.Tensor:
    """Positions start.. computed on top of the first `start` positions' cache."""
    layers = legacy_cache(cache)
    if layers is None:
        raise ValueError("the language model returned no key/value cache for use_cache=True")
    prefix = tuple((k[:, :, :start], v[:, :, :start]) for k, v in layers)
    length = embeds.shape[1]
    out = body(
        inputs_embeds=embeds[:, start:],
        attention_mask=torch.ones((1, length), dtype=torch.long, device=embeds.device),
        past_key_values=as_cache_object(prefix, as_tuple=False),
        position_ids=torch.arange(start, length, device=embeds.device).unsqueeze(0),
        use_cache=True,
        output_hidden_states=True,
        return_dict=True,
    )
    return out.hidden_states[-1]


# -- vision encoder ---------------------------------------------------------------------------
class VisionCheckRun:
    """Arms the per-module comparison on the swap's next vision call and collects its verdict."""

    def __init__(self, swap: AttentionSwap) -> None:
        self.swap = swap
        self.worst = 0.0
        self.tolerance: float | None = None
        self.failure: str | None = None
        self.modules = len(swap.modules(VISION))
        swap.vision_check = VisionCheck({id(m) for m in swap.modules(VISION)}, self._record)

    def _record(self, module: nn.Module, reference: torch.Tensor, candidate: torch.Tensor) -> None:
        tolerance = tolerance_for(reference.dtype)
        self.tolerance = tolerance
        difference = relative_difference(reference, candidate)
        self.worst = max(self.worst, difference)
        if difference > tolerance and self.failure is None:
            self.failure = f"{type(module).__name__} differs by {difference:.2g}"
            self.swap.vision_check = None
            self.swap.switch_off(VISION, f"self-check: {self.failure} (tolerance {tolerance:.2g})")

    def outcome(self) -> CheckOutcome | None:
        """The verdict once every module has been compared (or one failed), else None."""
        check = self.swap.vision_check
        if self.failure is None and check is not None and check.pending:
            return None
        self.swap.vision_check = None
        detail = f"{self.modules} modules on the first vision call"
        if self.failure:
            detail = f"{detail}: {self.failure}"
        tolerance = self.tolerance if self.tolerance is not None else math.nan
        return CheckOutcome(VISION, self.failure is None, self.worst, tolerance, detail)

    def abandon(self) -> None:
        """Stop comparing (the assessment failed before the check could finish)."""
        self.swap.vision_check = None
