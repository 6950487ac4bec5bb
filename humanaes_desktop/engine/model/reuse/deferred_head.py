"""Run a language-model pass without its output head; its logits become LazyLogits.

A causal LM ends with `logits = lm_head(final hidden states)` over every position: for a 7-tile
image 1,830 positions x 151,655 words, ~1.1 GB of fp32 and about a quarter of the pass's
arithmetic, while the HumanAesExpert code reads the last position of a few words. For a model
where it is verified, the reuse session swaps the head for a stub during a pass: the stub records
the head's input and returns an empty tensor, and the pass's logits are replaced by LazyLogits
over that input, computed for the rows a caller reads.

The check runs once per model on a short made-up sequence (8 token embeddings, milliseconds):
the head must be a direct child module of the language model, its input must be the final
hidden state the pass returns, and the model's logits must equal `head(input)` (up to the dtype
cast the model applies). A model whose code does anything else keeps the plain pass.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from humanaes_desktop.engine.model.reuse.lazy_logits import LazyLogits
from humanaes_desktop.engine.model.reuse.recomputed_layers import RecomputedPass

log = logging.getLogger(__name__)
_CHECK_TOKENS = 8


class _HeadStub(nn.Module):
    """Stands in for the output head: records its input; returns the real head's output or
    nothing (an empty last dimension)."""

    real_head: nn.Module | None

    def __init__(self, head: nn.Module | None) -> None:
        super().__init__()
        self.__dict__["real_head"] = head  # not a registered child: no parameters of its own
        self.captured: torch.Tensor | None = None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        self.captured = hidden
        if self.real_head is not None:
            return self.real_head(hidden)
        return hidden.new_empty((*hidden.shape[:-1], 0))


class OutputHead:
    """A language model's linear output head, and the means to defer it."""

    def __init__(self, lm: Any) -> None:
        self.lm = lm
        getter = getattr(lm, "get_output_embeddings", None)
        head = getter() if callable(getter) else None
        self.module: nn.Linear | None = head if isinstance(head, nn.Linear) else None
        children = getattr(lm, "_modules", {}) or {}
        self.name = next((n for n, m in children.items() if m is self.module), None)
        # What `verify` found: how many hidden states a pass returns, when a pass run without
        # collecting them feeds the head the same final state (0: `lean_pass` must not skip
        # them). The caller keeps it for the model's later passes.
        self.hidden_count = 0

    @property
    def found(self) -> bool:
        return self.module is not None and self.name is not None

    @contextlib.contextmanager
    def _swapped(self, stub: _HeadStub) -> Iterator[None]:
        self.lm._modules[self.name] = stub
        try:
            yield
        finally:
            self.lm._modules[self.name] = self.module

    def verify(self, forward: Any) -> torch.dtype | None:
        """The logits dtype when `forward`'s logits are head(final hidden state), else None."""
        module = self.module
        if module is None or not self.found:
            log.info("no linear output head among the language model's children")
            return None
        embed = self.lm.get_input_embeddings()
        ids = torch.arange(_CHECK_TOKENS, device=embed.weight.device).unsqueeze(0)
        stub = _HeadStub(self.module)
        with torch.inference_mode(), self._swapped(stub):
            out = forward(
                inputs_embeds=embed(ids),
                output_hidden_states=True,
                use_cache=False,
                return_dict=True,
            )
            logits, hidden, captured = out.get("logits"), out.get("hidden_states"), stub.captured
            agree = (
                captured is not None
                and logits is not None
                and bool(hidden)
                and captured.shape == hidden[-1].shape
                and torch.equal(captured, hidden[-1])
                and torch.equal(module(captured).to(logits.dtype), logits)
            )
            if agree and hidden:
                self.hidden_count = self._count_if_lean_agrees(forward, embed(ids), hidden)
        log.info(
            "the output head %s the model's logits from its final hidden state: %s",
            "reproduces" if agree else "does NOT reproduce",
            "passes defer it (LazyLogits)" if agree else "passes keep their full logits",
        )
        return logits.dtype if agree else None

    def _count_if_lean_agrees(self, forward: Any, embeds: torch.Tensor, hidden: tuple) -> int:
        """len(hidden) when a pass without `output_hidden_states` gives the head the same
        final hidden state, else 0 (passes keep collecting every layer)."""
        stub = _HeadStub(self.module)
        with self._swapped(stub):
            forward(
                inputs_embeds=embeds, output_hidden_states=False, use_cache=False, return_dict=True
            )
        lean = stub.captured is not None and torch.equal(stub.captured, hidden[-1])
        if not lean:
            log.info("a pass without hidden states feeds the head differently: layers are kept")
        return len(hidden) if lean else 0

    def deferred_pass(self, forward: Any, dtype: torch.dtype, **kwargs: Any) -> Any | None:
        """`forward(**kwargs)` with the head deferred: its logits are LazyLogits.

        None when the pass did not go through the head after all (the caller runs it plainly).
        """
        if self.module is None:
            return None
        stub = _HeadStub(None)
        with self._swapped(stub):
            out = forward(**kwargs)
        if stub.captured is None or out.get("logits") is None:
            log.warning("the language model skipped its output head; running the pass plainly")
            return None
        out["logits"] = LazyLogits(stub.captured, self.module, dtype)
        return out

    def lean_pass(
        self, forward: Any, dtype: torch.dtype, hidden_count: int, **kwargs: Any
    ) -> Any | None:
        """`deferred_pass` that does not collect the intermediate layers' hidden states.

        For a call asking for them, the output's hidden states are the head's input as the
        last layer and `RecomputedLayer`s before it (recomputed_layers.py), `hidden_count` in
        all as `verify` found (0: the plain deferred pass).
        """
        if not (kwargs.get("output_hidden_states") and hidden_count):
            return self.deferred_pass(forward, dtype, **kwargs)
        out = self.deferred_pass(forward, dtype, **{**kwargs, "output_hidden_states": False})
        if out is None:
            return None
        last = out["logits"].hidden
        again = {**kwargs, "use_cache": False}

        def run_again() -> tuple[torch.Tensor, ...]:
            full = self.deferred_pass(forward, dtype, **again) or forward(**again)
            return tuple(full["hidden_states"])

        out["hidden_states"] = RecomputedPass(run_again).layers(last, hidden_count)
        return out
