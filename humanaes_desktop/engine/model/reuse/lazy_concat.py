"""Hidden states of a prefix-reused pass: the concatenation is only made where it is read.

A language-model pass that reuses a shared prefix (session.py) must hand its caller the hidden
states of every layer over the whole sequence, i.e. the parent pass's prefix concatenated with
the suffix just computed: 25 layers x ~3,400 positions x 896 x 4 bytes, ~300 MB in fp32 for a
camera-size photo, for a tuple of which the HumanAesExpert code reads one position of the last
layer. `LazyConcat` is a tensor of the concatenation's shape, dtype and device with no storage
of its own: indexing (select / slice) routes to the parts without copying, and any other
operation first makes the real `torch.cat` of what it covers.
"""

from __future__ import annotations

from typing import Any

import torch

from humanaes_desktop.engine.model.reuse.lazy_tensor import LazyTensor, materialized

_aten = torch.ops.aten


class LazyConcat(LazyTensor):
    """`torch.cat(parts, dim)` computed when needed; parts are plain tensors."""

    _parts: list[torch.Tensor]
    _dim: int

    @staticmethod
    def __new__(cls, parts: list[torch.Tensor], dim: int) -> Any:
        flat: list[torch.Tensor] = []
        for part in parts:
            flat += part._parts if isinstance(part, LazyConcat) and part._dim == dim else [part]
        first = flat[0]
        shape = list(first.shape)
        shape[dim] = sum(p.shape[dim] for p in flat)
        tensor = torch.Tensor._make_wrapper_subclass(
            cls, shape, dtype=first.dtype, device=first.device
        )
        tensor._parts = [_concrete(p) for p in flat]
        tensor._dim = dim
        return tensor

    def materialize(self) -> torch.Tensor:
        """The real concatenation."""
        return torch.cat(self._parts, dim=self._dim)

    def __repr__(self) -> str:  # type: ignore[override]
        return (
            f"LazyConcat(shape={tuple(self.shape)}, dtype={self.dtype}, parts={len(self._parts)})"
        )

    def alias(self) -> torch.Tensor:
        return LazyConcat(self._parts, self._dim)

    def lazy_op(self, func: Any, args: tuple, kwargs: dict) -> Any:
        """Selecting and slicing route to the parts without copying."""
        if not kwargs:
            if func is _aten.select.int:
                return self._select(args[1] % self.dim(), args[2])
            if func is _aten.slice.Tensor:
                return self._slice(*_slice_args(self, args))
        return NotImplemented

    def _select(self, dim: int, index: int) -> torch.Tensor:
        if dim != self._dim:
            parts = [p.select(dim, index) for p in self._parts]
            return LazyConcat(parts, self._dim - (dim < self._dim))
        index %= self.shape[dim]
        for part in self._parts:
            if index < part.shape[dim]:
                return part.select(dim, index)
            index -= part.shape[dim]
        raise IndexError(index)

    def _slice(self, dim: int, start: int, end: int, step: int) -> torch.Tensor:
        if dim != self._dim:
            return LazyConcat(
                [p[(slice(None),) * dim + (slice(start, end, step),)] for p in self._parts],
                self._dim,
            )
        if step != 1:
            return self.materialize()[(slice(None),) * dim + (slice(start, end, step),)]
        pieces, offset = [], 0
        for part in self._parts:
            size = part.shape[dim]
            lo, hi = max(start - offset, 0), min(end - offset, size)
            if lo < hi:
                pieces.append(part.narrow(dim, lo, hi - lo))
            offset += size
        if not pieces:
            return self._parts[0].narrow(dim, 0, 0)
        return pieces[0] if len(pieces) == 1 else LazyConcat(pieces, dim)


def _slice_args(tensor: LazyConcat, args: tuple) -> tuple[int, int, int, int]:
    dim = (args[1] if len(args) > 1 else 0) % tensor.dim()
    size = tensor.shape[dim]
    start = args[2] if len(args) > 2 and args[2] is not None else 0
    end = args[3] if len(args) > 3 and args[3] is not None else size
    step = args[4] if len(args) > 4 else 1
    start = max(0, min(size, start + size if start < 0 else start))
    end = max(start, min(size, end + size if end < 0 else end))
    return dim, start, end, step


def _concrete(value: Any) -> Any:
    """A part as kept: a nested concatenation is made real (other lazy parts stay lazy)."""
    return materialized(value) if isinstance(value, LazyConcat) else value
