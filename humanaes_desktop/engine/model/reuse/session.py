"""Reuse work across the model calls of one image (DESIGN §1: the main performance lever).

The reference code's way to get everything calls score(), run_metavoter() and expert_score() one after the
other; each runs the vision encoder on the same tiles and the language model on prompts that all
start with the same long run of image tokens. For the duration of one assessment, a
`ReuseSession` wraps two seams on the model *instance* (never the class):

- `model.extract_feature(pixel_values)`: computed once per distinct pixel tensor, then served
  from memory;
- `model.language_model.forward(inputs_embeds=..., ...)`: an identical pass is served from
  memory; a pass that shares a prefix of its input embeddings with an earlier one runs only the
  differing suffix on top of the earlier pass's key/value cache, and the caller receives the
  prefix outputs concatenated with the suffix outputs, i.e. the tensors a full pass returns.

Calls the wrappers do not understand (generation steps, padding masks, batches, unusual
arguments or outputs) go straight to the original method. Everything is dropped when the session
ends. On the first prefix reuse of a model, the full pass is computed as well and compared; a
mismatch switches prefix reuse off for that model (logged), so an unexpected model cannot get
silently different scores.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

from humanaes_desktop.engine.model.heap import is_long_cpu_pass, long_pass_in_own_mappings
from humanaes_desktop.engine.model.reuse.deferred_head import OutputHead
from humanaes_desktop.engine.model.reuse.lazy_concat import LazyConcat
from humanaes_desktop.engine.model.reuse.lazy_logits import LazyLogits
from humanaes_desktop.engine.model.reuse.parts import (
    ReusePolicy,
    ReuseStats,
    StoredPass,
    as_cache_object,
    common_prefix_length,
    has_output,
    legacy_cache,
    same_tensor,
    tolerance,
)

__all__ = ["ReusePolicy", "ReuseSession", "ReuseStats", "common_prefix_length"]

log = logging.getLogger(__name__)

# The arguments whose meaning the LM wrapper knows; anything else is passed through untouched.
_KNOWN_LM_KWARGS = {
    "inputs_embeds",
    "attention_mask",
    "output_hidden_states",
    "return_dict",
    "use_cache",
    "past_key_values",
    "output_attentions",
}
_REUSABLE_FIELDS = {"logits", "hidden_states", "past_key_values"}


class ReuseSession:
    """Context manager installing the caching wrappers on one model instance for one image."""

    def __init__(
        self,
        model: Any,
        policy: ReusePolicy | None = None,
        known_vision: tuple[tuple[torch.Tensor, Any], ...] = (),
    ) -> None:
        """`known_vision`: (tiles, features) computed beforehand (several photos' tiles in one
        vision batch, engine/model/batching.py); served like features computed in the session."""
        self.model = model
        self.policy = policy or ReusePolicy()
        self.stats = ReuseStats()
        self._vision: list[tuple[torch.Tensor, Any]] = list(known_vision)
        self._passes: list[StoredPass] = []
        self._head: OutputHead | None = None  # the LM's output head, when it can be deferred
        self._installed: list[tuple[Any, str, Any]] = []  # (object, attribute, previous)

    # -- installation ---------------------------------------------------------------------------
    def __enter__(self) -> ReuseSession:
        vision = getattr(self.model, "extract_feature", None)
        if self.policy.vision and callable(vision):
            self._install(self.model, "extract_feature", self._wrap_vision(vision))
        elif self.policy.vision:
            self._warn_once("extract_feature")
        lm = getattr(self.model, "language_model", None)
        forward = getattr(lm, "forward", None)
        if self.policy.lm_exact and callable(forward):
            self._head = self._deferrable_head(lm, forward)
            self._install(lm, "forward", self._wrap_lm(forward))
        elif self.policy.lm_exact:
            self._warn_once("language_model.forward")
        return self

    def __exit__(self, *exc: object) -> None:
        for obj, name, previous in reversed(self._installed):
            if previous is None:
                del obj.__dict__[name]
            else:
                obj.__dict__[name] = previous
        self._installed.clear()
        self._vision.clear()
        self._passes.clear()
        self._head = None

    def pooled_vision_features(self) -> torch.Tensor | None:
        """Mean over tiles and tokens of the first image's vision features (float32, 1-D), or
        None when no features passed through this session (call inside the session)."""
        if not self._vision:
            return None
        features = self._vision[0][1]
        if not isinstance(features, torch.Tensor) or features.dim() < 2:
            return None
        return features.detach().float().reshape(-1, features.shape[-1]).mean(dim=0)

    def _install(self, obj: Any, name: str, wrapper: Any) -> None:
        self._installed.append((obj, name, obj.__dict__.get(name)))
        obj.__dict__[name] = wrapper

    def _warn_once(self, seam: str) -> None:
        if seam not in self.policy.warned_seams:
            self.policy.warned_seams.add(seam)
            log.warning("model has no %s seam; that part runs plainly, without reuse", seam)

    # -- vision ---------------------------------------------------------------------------------
    def _wrap_vision(self, original: Any) -> Any:
        def extract_feature(pixel_values: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            self.stats.vision_calls += 1
            if not args and not kwargs and isinstance(pixel_values, torch.Tensor):
                for stored, features in self._vision:
                    if same_tensor(stored, pixel_values):
                        return features
            start = time.perf_counter()
            features = self._vision_features(original, pixel_values, args, kwargs)
            self.stats.vision_s += time.perf_counter() - start
            self.stats.vision_computed += 1
            if not args and not kwargs and isinstance(pixel_values, torch.Tensor):
                self._vision.append((pixel_values.detach().clone(), features))
            return features

        return extract_feature

    def _vision_features(self, original: Any, pixels: Any, args: tuple, kwargs: dict) -> Any:
        """Features of all tiles; on CPU a few tiles per call (policy.cpu_tiles_per_vision_call).

        The vision encoder treats tiles independently, but its attention holds a tokens x tokens
        matrix per tile and head for the whole batch at once: ~0.5 GB (twice, with the softmax)
        for 7 tiles, ~1 GB for 13. Smaller batches keep that transient small on CPU, where the
        matrix products are as efficient tile by tile; GPUs keep the whole batch.
        """
        step = self.policy.cpu_tiles_per_vision_call
        if (
            args
            or kwargs
            or not step
            or not isinstance(pixels, torch.Tensor)
            or pixels.device.type != "cpu"
            or pixels.shape[0] <= step
        ):
            return original(pixels, *args, **kwargs)
        return torch.cat([original(pixels[i : i + step]) for i in range(0, len(pixels), step)])

    # -- language model -------------------------------------------------------------------------
    def _wrap_lm(self, original: Any) -> Any:
        def forward(*args: Any, **kwargs: Any) -> Any:
            self.stats.lm_calls += 1
            start = time.perf_counter()
            try:
                if args or not self._reusable_call(kwargs):
                    return self._passthrough(original, args, kwargs)
                return self._reusing_forward(original, kwargs)
            finally:
                self.stats.lm_s += time.perf_counter() - start

        return forward

    def _reusable_call(self, kwargs: dict[str, Any]) -> bool:
        if set(kwargs) - _KNOWN_LM_KWARGS:
            return False
        embeds = kwargs.get("inputs_embeds")
        if not isinstance(embeds, torch.Tensor) or embeds.dim() != 3 or embeds.shape[0] != 1:
            return False
        if kwargs.get("past_key_values") is not None or kwargs.get("output_attentions"):
            return False
        if kwargs.get("return_dict") is False:
            return False
        mask = kwargs.get("attention_mask")
        if mask is None:
            return True
        return mask.shape == embeds.shape[:2] and bool((mask == 1).all())

    def _passthrough(self, original: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
        self.stats.lm_passthrough += 1
        embeds = kwargs.get("inputs_embeds")
        if isinstance(embeds, torch.Tensor) and embeds.dim() == 3:
            self.stats.tokens_requested += embeds.shape[1]
            self.stats.tokens_computed += embeds.shape[1]
        return original(*args, **kwargs)

    def _reusing_forward(self, original: Any, kwargs: dict[str, Any]) -> Any:
        embeds = kwargs["inputs_embeds"]
        length = embeds.shape[1]
        self.stats.tokens_requested += length
        parent, shared = self._best_parent(embeds)
        if parent is not None and shared == length:
            self.stats.lm_full_hits += 1
            return self._answer(parent, length, kwargs)
        if (
            parent is not None
            and shared > 0
            and parent.splittable
            and parent.hidden is not None
            and self.policy.lm_prefix
        ):
            new = self._suffix_pass(original, parent, shared, kwargs)
            if new is not None:
                self.stats.lm_prefix_hits += 1
                return self._answer(new, length, kwargs)
        stored, out = self._full_pass(original, kwargs)
        return self._answer(stored, length, kwargs, fresh_logits=out.get("logits"))

    def _best_parent(self, embeds: torch.Tensor) -> tuple[StoredPass | None, int]:
        best, best_len = None, 0
        for stored in self._passes:
            n = common_prefix_length(stored.embeds, embeds)
            if n == embeds.shape[1] and not stored.splittable and stored.length != n:
                continue  # a strict prefix of an opaque pass cannot be cut out of it
            if n > best_len:
                best, best_len = stored, n
        return best, best_len

    def _deferrable_head(self, lm: Any, forward: Any) -> OutputHead | None:
        """The output head when passes may defer it (checked once per model), else None."""
        if self.policy.keep_full_logits or self.policy.logits_from_hidden is False:
            return None
        head = OutputHead(lm)
        if self.policy.logits_from_hidden is None:
            self.policy.logits_dtype = head.verify(forward)
            self.policy.logits_from_hidden = self.policy.logits_dtype is not None
            self.policy.hidden_count = head.hidden_count  # checked once, trusted by later sessions
        return head if self.policy.logits_from_hidden else None

    def _full_pass(self, original: Any, kwargs: dict[str, Any]) -> tuple[StoredPass, Any]:
        embeds = kwargs["inputs_embeds"]
        arguments = {
            "inputs_embeds": embeds,
            "attention_mask": kwargs.get("attention_mask"),
            "output_hidden_states": True,
            "use_cache": True,
            "return_dict": True,
        }
        out = None
        with long_pass_in_own_mappings(is_long_cpu_pass(embeds)):
            if self._head is not None and self.policy.logits_dtype is not None:
                out = self._head.lean_pass(
                    original, self.policy.logits_dtype, self.policy.hidden_count, **arguments
                )
            if out is None:
                out = original(**arguments)
        self.stats.lm_computed += 1
        self.stats.tokens_computed += embeds.shape[1]
        return self._store(embeds, out), out

    def _store(self, embeds: torch.Tensor, out: Any) -> StoredPass:
        present = {k for k, v in out.items() if v is not None}
        cache = out.get("past_key_values")
        has_logits = has_output(out, "logits")
        splittable = present <= _REUSABLE_FIELDS and has_logits and cache is not None
        head = self._head.module if self._head is not None and splittable else None
        stored = StoredPass(
            embeds=embeds,
            logits=[out.logits] if has_logits and head is None else [],
            head=head,
            hidden=out.get("hidden_states"),
            cache=legacy_cache(cache),
            cache_as_tuple=isinstance(out.get("past_key_values"), tuple),
            output_type=type(out),
            raw=None if splittable else out,  # a kept output would keep its logits alive
            splittable=splittable,
            logits_dtype=out.logits.dtype if has_logits else None,
        )
        self._passes.append(stored)
        return stored

    def _suffix_pass(
        self, original: Any, parent: StoredPass, shared: int, kwargs: dict[str, Any]
    ) -> StoredPass | None:
        embeds = kwargs["inputs_embeds"]
        length = embeds.shape[1]
        assert parent.hidden is not None and parent.cache is not None  # kept by splittable passes
        prefix_cache = tuple((k[:, :, :shared], v[:, :, :shared]) for k, v in parent.cache)
        mask = kwargs.get("attention_mask")
        full_mask = torch.ones((1, length), dtype=mask.dtype if mask is not None else torch.long)
        out = original(
            inputs_embeds=embeds[:, shared:],
            attention_mask=full_mask.to(embeds.device),
            past_key_values=as_cache_object(prefix_cache, as_tuple=False),
            position_ids=torch.arange(shared, length, device=embeds.device).unsqueeze(0),
            output_hidden_states=True,
            use_cache=True,
            return_dict=True,
        )
        self.stats.tokens_computed += length - shared
        if {k for k, v in out.items() if v is not None} - _REUSABLE_FIELDS:
            log.warning("language model returned unexpected outputs; prefix reuse switched off")
            self.policy.lm_prefix = False
            return None
        # Lazy: only what a caller reads is concatenated (~300 MB per pass at camera size, fp32).
        hidden = tuple(
            LazyConcat([p[:, :shared], s], dim=1)
            for p, s in zip(parent.hidden, out.hidden_states, strict=True)
        )
        lazy = parent.head is not None
        stored = StoredPass(
            embeds=embeds,
            logits=[] if lazy else parent.logits_prefix(shared) + [out.logits],
            head=parent.head,
            hidden=hidden,
            cache=legacy_cache(out.past_key_values),
            cache_as_tuple=parent.cache_as_tuple,
            output_type=parent.output_type,
            raw=None,
            splittable=True,
            logits_dtype=out.logits.dtype,
        )
        if self.policy.self_check and not self.policy.checked:
            return self._checked(original, stored, kwargs, out.logits[:, -1])
        self._passes.append(stored)
        return stored

    def _checked(
        self, original: Any, candidate: StoredPass, kwargs: dict[str, Any], reused: torch.Tensor
    ) -> StoredPass:
        """Compare the first prefix reuse with a full pass; keep reusing only if they agree.

        `reused` is the suffix pass's last-position logits; only last positions are compared,
        so no full-sequence logits are concatenated for the check.
        """
        self.policy.checked = True
        full, out = self._full_pass(original, kwargs)
        assert candidate.hidden is not None and full.hidden is not None  # both passes keep them
        plain = out.logits[:, -1]
        tol = tolerance(reused) if candidate.embeds.dtype == torch.float32 else 5e-2
        scale = max(1.0, float(plain.abs().max()))
        diff = float((reused - plain).abs().max())
        hidden_diff = float((candidate.hidden[-1][:, -1] - full.hidden[-1][:, -1]).abs().max())
        self.policy.check_detail = f"max logit diff {diff:.3g}, last hidden diff {hidden_diff:.3g}"
        if diff > tol * scale or hidden_diff > tol * max(1.0, float(full.hidden[-1].abs().max())):
            log.warning(
                "prefix reuse differs from a full pass (logits %.3g, hidden %.3g); "
                "switched off for this model",
                diff,
                hidden_diff,
            )
            self.policy.lm_prefix = False
        else:
            log.info("prefix reuse verified against a full pass (max logit diff %.3g)", diff)
        return full

    def _answer(
        self,
        stored: StoredPass,
        length: int,
        kwargs: dict[str, Any],
        fresh_logits: torch.Tensor | None = None,
    ) -> Any:
        """The output a plain call with these arguments returns, built from a stored pass.

        `fresh_logits` are the logits just computed for exactly this call, if any.
        """
        if not stored.splittable:
            return stored.raw
        assert stored.hidden is not None and stored.cache is not None  # kept by splittable passes
        fields: dict[str, Any] = {"logits": self._logits(stored, length, fresh_logits)}
        if kwargs.get("output_hidden_states"):
            fields["hidden_states"] = tuple(h[:, :length] for h in stored.hidden)
        if kwargs.get("use_cache", True) is not False:
            legacy = tuple((k[:, :, :length], v[:, :, :length]) for k, v in stored.cache)
            fields["past_key_values"] = as_cache_object(legacy, stored.cache_as_tuple)
        return stored.output_type(**fields)

    @staticmethod
    def _logits(stored: StoredPass, length: int, fresh: torch.Tensor | None) -> torch.Tensor:
        if fresh is not None and fresh.shape[1] == length:
            return fresh
        if stored.head is not None:
            assert stored.hidden is not None  # a deferred head answers from the hidden states
            hidden = stored.hidden[-1][:, :length]
            return LazyLogits(hidden, stored.head, stored.logits_dtype or hidden.dtype)
        logits = stored.logits_prefix(length)
        return logits[0] if len(logits) == 1 else torch.cat(logits, dim=1)
