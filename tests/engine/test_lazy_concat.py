"""LazyConcat: the hidden states of a prefix-reused pass, concatenated only where they are read."""

from __future__ import annotations

import pytest
import torch

from humanaes_desktop.engine.model.reuse.lazy_concat import LazyConcat


@pytest.fixture
def parts() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(1, n, 6, generator=generator) for n in (5, 3, 4)]


def test_every_operation_sees_the_real_concatenation(parts):
    lazy, real = LazyConcat(parts, dim=1), torch.cat(parts, dim=1)
    assert lazy.shape == real.shape and lazy.dtype == real.dtype
    assert torch.equal(lazy.materialize(), real)
    assert torch.equal(lazy + 1, real + 1)
    assert float(lazy.abs().max()) == float(real.abs().max())
    assert torch.equal(torch.nn.functional.linear(lazy, torch.ones(2, 6)), real @ torch.ones(6, 2))


@pytest.mark.parametrize(
    "index",
    [
        (0, -1),
        (0, 4),
        (0, 5),
        (slice(None), slice(0, 5)),
        (slice(None), slice(3, 10)),
        (slice(None), slice(-6, None)),
        (slice(None), slice(None, None, 2)),
        (slice(None), slice(2, 9), slice(1, 3)),
        (0, slice(None), 2),
        (..., -1),
    ],
)
def test_indexing_matches_the_real_concatenation(parts, index):
    lazy, real = LazyConcat(parts, dim=1), torch.cat(parts, dim=1)
    picked = lazy[index]
    expected = real[index]
    assert picked.shape == expected.shape
    assert torch.equal(picked.materialize() if isinstance(picked, LazyConcat) else picked, expected)


def test_reading_one_position_copies_nothing(parts):
    lazy = LazyConcat(parts, dim=1)
    last = lazy[0, -1, :]
    assert not isinstance(last, LazyConcat)
    assert last.untyped_storage().data_ptr() == parts[-1].untyped_storage().data_ptr()


def test_a_prefix_of_a_lazy_concatenation_stays_lazy_and_flat(parts):
    lazy = LazyConcat(parts, dim=1)
    extended = LazyConcat([lazy[:, :7], torch.zeros(1, 2, 6)], dim=1)
    assert isinstance(extended, LazyConcat) and len(extended._parts) == 3
    expected = torch.cat([torch.cat(parts, dim=1)[:, :7], torch.zeros(1, 2, 6)], dim=1)
    assert torch.equal(extended.materialize(), expected)
