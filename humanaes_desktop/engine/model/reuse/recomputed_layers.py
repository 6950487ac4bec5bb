"""Intermediate hidden states of a language-model pass, computed again only if read.

The HumanAesExpert code asks every language-model pass for `output_hidden_states=True` and reads
one position of the last layer. Kept for reuse, the other layers cost 24 x ~3,400 positions x
896 x 4 bytes, ~290 MB in fp32 per camera-size pass, and the first assessment of a process holds
two such passes at once (prefix reuse's self-check). So a pass whose output head is deferred
(deferred_head.py) runs without collecting them: its last layer is the head's input, which that
check showed to be the same tensor, and every earlier layer is a `RecomputedLayer` of the
pass's shape with no storage. Selecting and slicing stay lazy; anything else runs the plain pass
once more (logged) and answers from its real hidden states, so a caller that does read an
intermediate layer gets the true values, just later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch

from humanaes_desktop.engine.model.reuse.lazy_tensor import LazyTensor

log = logging.getLogger(__name__)

_aten = torch.ops.aten
_VIEWS = (_aten.select.int, _aten.slice.Tensor)


class RecomputedPass:
    """A pass's hidden states, from running it again the first time any of them is needed."""

    def __init__(self, run: Callable[[], tuple[torch.Tensor, ...]]) -> None:
        self._run: Callable[[], tuple[torch.Tensor, ...]] | None = run
        self._hidden: tuple[torch.Tensor, ...] | None = None

    def hidden_states(self) -> tuple[torch.Tensor, ...]:
        if self._hidden is None:
            assert self._run is not None
            log.info("an intermediate hidden state was read: running the pass again for it")
            with torch.no_grad():
                self._hidden = tuple(self._run())
            self._run = None
        return self._hidden

    def layers(self, last: torch.Tensor, count: int) -> tuple[torch.Tensor, ...]:
        """The `count` hidden states of the pass: lazy layers, then the real `last`."""
        lazy = [
            RecomputedLayer(self, index, last.shape, last.dtype, last.device)
            for index in range(count - 1)
        ]
        return (*lazy, last)


class RecomputedLayer(LazyTensor):
    """Layer `index` of a pass's hidden states, optionally viewed (selected, sliced)."""

    _source: RecomputedPass
    _index: int
    _views: tuple[tuple[Any, tuple, dict], ...]

    @staticmethod
    def __new__(
        cls,
        source: RecomputedPass,
        index: int,
        shape: torch.Size,
        dtype: torch.dtype,
        device: torch.device,
        views: tuple[tuple[Any, tuple, dict], ...] = (),
    ) -> Any:
        tensor = torch.Tensor._make_wrapper_subclass(cls, shape, dtype=dtype, device=device)
        tensor._source = source
        tensor._index = index
        tensor._views = views
        return tensor

    def materialize(self) -> torch.Tensor:
        tensor = self._source.hidden_states()[self._index]
        for func, args, kwargs in self._views:
            tensor = func(tensor, *args, **kwargs)
        return tensor

    def __repr__(self) -> str:  # type: ignore[override]
        return (
            f"RecomputedLayer(layer={self._index}, shape={tuple(self.shape)}, dtype={self.dtype})"
        )

    def alias(self) -> torch.Tensor:
        return RecomputedLayer(
            self._source, self._index, self.shape, self.dtype, self.device, self._views
        )

    def lazy_op(self, func: Any, args: tuple, kwargs: dict) -> Any:
        if func not in _VIEWS:
            return NotImplemented
        rest = args[1:]
        shape = func(
            torch.empty(self.shape, dtype=self.dtype, device="meta"), *rest, **kwargs
        ).shape
        views = (*self._views, (func, rest, kwargs))
        return RecomputedLayer(self._source, self._index, shape, self.dtype, self.device, views)
