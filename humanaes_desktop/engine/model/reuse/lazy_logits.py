"""Language-model logits whose rows are computed from the final hidden states only when read.

A reused language-model pass (reuse.py) must hand its caller the tensors a full pass returns,
logits for every position included: vocabulary 151,655 x sequence length x 4 bytes, ~1.1 GB for a
7-tile image. Callers read a few rows (the HumanAesExpert code reads the last position's logits
of a handful of words), so keeping every pass's full logits alive for the whole assessment, and
concatenating copies of them for prefix hits, held gigabytes that nobody reads.

`LazyLogits` is a tensor of the full logits' shape, dtype and device with no storage of its own.
It keeps the pass's final (normed) hidden states and the model's output head; indexing along the
batch and sequence dimensions stays lazy (it indexes the hidden states instead), and any other
operation first computes the rows it covers as `head(hidden)`, exactly what the language model
does to produce logits. The reuse session only uses it for a model where `head(last hidden)`
was checked to reproduce the model's own logits. Rows computed for fewer positions can differ
from a full-sequence matrix product in the last float bits (a different summation blocking).
"""

from __future__ import annotations

from typing import Any

import torch

from humanaes_desktop.engine.model.reuse.lazy_tensor import LazyTensor

_aten = torch.ops.aten
_INDEXING = (_aten.select.int, _aten.slice.Tensor)


class LazyLogits(LazyTensor):
    """[..., T, vocab] logits = head(hidden[..., T, H]), computed for the rows actually read."""

    _hidden: torch.Tensor
    _head: torch.nn.Module

    @staticmethod
    def __new__(cls, hidden: torch.Tensor, head: torch.nn.Module, dtype: torch.dtype) -> Any:
        shape = (*hidden.shape[:-1], head_vocabulary(head))
        tensor = torch.Tensor._make_wrapper_subclass(cls, shape, dtype=dtype, device=hidden.device)
        tensor._hidden = hidden
        tensor._head = head
        return tensor

    @property
    def hidden(self) -> torch.Tensor:
        """The final hidden states these logits are computed from."""
        return self._hidden

    def materialize(self) -> torch.Tensor:
        """The real logits this tensor stands for (only its own rows are computed)."""
        return self._head(self._hidden).to(self.dtype)

    # torch's stubs type Tensor.__repr__ in a way no override matches (mypy reports the same
    # signature as incompatible), hence the one ignore.
    def __repr__(self) -> str:  # type: ignore[override]
        return f"LazyLogits(shape={tuple(self.shape)}, dtype={self.dtype})"

    def alias(self) -> torch.Tensor:
        return LazyLogits(self._hidden, self._head, self.dtype)

    def lazy_op(self, func: Any, args: tuple, kwargs: dict) -> Any:
        """Indexing along the batch and sequence dimensions indexes the hidden states instead."""
        if func in _INDEXING:
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            if dim % self.dim() < self.dim() - 1:  # batch or position, not the vocabulary
                rows = func(self._hidden, *args[1:], **kwargs)
                return LazyLogits(rows, self._head, self.dtype)
        return NotImplemented


def head_vocabulary(head: torch.nn.Module) -> int:
    """The number of outputs of a linear output head."""
    weight = head.weight
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"{type(head).__name__} has no weight matrix")
    return int(weight.shape[0])
