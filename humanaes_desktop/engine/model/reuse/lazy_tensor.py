"""The common shape of the reuse layer's lazy tensors (LazyLogits, LazyConcat, RecomputedLayer).

Each stands for a tensor a plain language-model pass returns but that the HumanAesExpert code
mostly never reads in full. It is a wrapper subclass with the real tensor's shape, dtype and
device and no storage of its own. A subclass may answer some operations lazily (`lazy_op`,
typically indexing); every other operation first materialises each lazy argument, so a caller
that does read the data gets exactly the real tensor.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._pytree import tree_map


class LazyTensor(torch.Tensor):
    """A tensor computed only when something other than `lazy_op` touches it."""

    def materialize(self) -> torch.Tensor:
        """The real tensor this one stands for."""
        raise NotImplementedError

    def alias(self) -> torch.Tensor:
        """Another lazy tensor for the same data (what `t[:, :n]` over the whole length gives)."""
        raise NotImplementedError

    def lazy_op(self, func: Any, args: tuple, kwargs: dict) -> Any:
        """The result of `func(self, *args[1:])` without materialising, or NotImplemented."""
        return NotImplemented

    def numpy(self, *args: Any, **kwargs: Any) -> Any:  # torch refuses numpy() on subclasses
        """The materialised tensor as a numpy array."""
        return self.materialize().numpy(*args, **kwargs)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        return self.materialize().__array__(*args, **kwargs)

    # torch's stubs declare the base as a plain function; its docs require a classmethod.
    @classmethod
    def __torch_dispatch__(  # type: ignore[override]
        cls, func: Any, types: Any, args: tuple = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        first = args[0] if args else None
        if isinstance(first, LazyTensor):
            if func is torch.ops.aten.alias.default:
                return first.alias()
            result = first.lazy_op(func, args, kwargs)
            if result is not NotImplemented:
                return result
        return func(*tree_map(materialized, args), **tree_map(materialized, kwargs))


def materialized(value: Any) -> Any:
    """`value`, with a lazy tensor replaced by the real one."""
    return value.materialize() if isinstance(value, LazyTensor) else value
