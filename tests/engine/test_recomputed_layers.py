"""A reused language-model pass keeps its last layer only; earlier layers are recomputed if read.

On a small real transformers Qwen2 (the HumanAesExpert language model's class), called the way
the model's code calls it: inputs_embeds, output_hidden_states=True.
"""

from __future__ import annotations

import logging

import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from humanaes_desktop.engine.model.reuse.recomputed_layers import RecomputedLayer
from humanaes_desktop.engine.model.reuse.session import ReusePolicy, ReuseSession

LAYERS = 3


class Holder(torch.nn.Module):
    """The one seam the session needs for language-model reuse: `language_model`."""

    def __init__(self, lm: Qwen2ForCausalLM) -> None:
        super().__init__()
        self.language_model = lm


def _config() -> Qwen2Config:
    config = Qwen2Config(
        vocab_size=60,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=LAYERS,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
    )
    config._attn_implementation = "eager"
    return config


class ShiftedWithoutHiddenStates(Qwen2ForCausalLM):
    """A model whose pass differs when it is not asked for hidden states."""

    def forward(self, *args, **kwargs):
        if not kwargs.get("output_hidden_states") and kwargs.get("inputs_embeds") is not None:
            kwargs["inputs_embeds"] = kwargs["inputs_embeds"] + 0.5
        return super().forward(*args, **kwargs)


def _model(cls: type = Qwen2ForCausalLM) -> Holder:
    torch.manual_seed(0)
    return Holder(cls(_config()).eval())


def _embeds(model: Holder, ids: list[int]) -> torch.Tensor:
    return model.language_model.get_input_embeddings()(torch.tensor([ids]))


def _passes_run(model: Holder) -> list[int]:
    """Counts runs of the language model's first decoder layer."""
    runs: list[int] = []
    model.language_model.model.layers[0].register_forward_hook(lambda *_: runs.append(1))
    return runs


def _call(model: Holder, embeds: torch.Tensor):
    return model.language_model(inputs_embeds=embeds, output_hidden_states=True, return_dict=True)


def test_a_pass_keeps_its_last_layer_and_recomputes_another_once_when_read():
    model = _model()
    with torch.inference_mode():
        a, b = _embeds(model, [1, 2, 3, 4, 5, 6, 7]), _embeds(model, [1, 2, 3, 4, 5, 9])
        plain_a, plain_b = _call(model, a), _call(model, b)
        runs = _passes_run(model)
        with ReuseSession(model, ReusePolicy(self_check=False)) as session:
            checks = len(runs)  # the output head's one-time checks on a short sequence
            got_a = _call(model, a)
            got_b = _call(model, b)  # a prefix hit on top of the first pass
            kept = session._passes[0].hidden
            assert kept is not None
            # Nothing stored for the session but the last layer.
            assert [type(h) for h in kept[:-1]] == [RecomputedLayer] * LAYERS
            assert not isinstance(kept[-1], RecomputedLayer)
            runs_before_reading = len(runs)
            # What the model code reads: the last layer's last position, real and equal.
            last = got_b.hidden_states[-1][0, -1]
            torch.testing.assert_close(last, plain_b.hidden_states[-1][0, -1])
            row = got_a.hidden_states[1][0, 2]  # a view of an earlier layer: still lazy
            assert isinstance(row, RecomputedLayer) and row.shape == (32,)
            assert len(runs) == runs_before_reading
            torch.testing.assert_close(row * 1.0, plain_a.hidden_states[1][0, 2])
            assert len(runs) == runs_before_reading + 1  # the pass, run once more
            torch.testing.assert_close(got_a.hidden_states[0] + 0, plain_a.hidden_states[0])
            assert len(runs) == runs_before_reading + 1  # every layer came from that one run
            for got, want in zip(got_b.hidden_states, plain_b.hidden_states, strict=True):
                torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    assert len(got_a.hidden_states) == len(plain_a.hidden_states) == LAYERS + 1
    assert runs_before_reading - checks == 2  # one full pass and the prefix hit's suffix


def test_later_sessions_on_the_same_model_trust_the_first_check():
    model = _model()
    policy = ReusePolicy(self_check=False)  # what the engine keeps per loaded model
    with torch.inference_mode():
        a = _embeds(model, [1, 2, 3, 4, 5, 6])
        plain = _call(model, a)
        for photo in range(3):
            runs = _passes_run(model)
            with ReuseSession(model, policy) as session:
                got = _call(model, a)
                kept = session._passes[0].hidden
                assert kept is not None
                assert [type(h) for h in kept[:-1]] == [RecomputedLayer] * LAYERS
            # The first photo also runs the output head's two short checks; later ones trust them.
            assert len(runs) == (3 if photo == 0 else 1)
            torch.testing.assert_close(got.hidden_states[-1], plain.hidden_states[-1])
            for handle in model.language_model.model.layers[0]._forward_hooks.copy():
                del model.language_model.model.layers[0]._forward_hooks[handle]


def test_a_model_that_runs_differently_without_hidden_states_keeps_every_layer(caplog):
    model = _model(ShiftedWithoutHiddenStates)
    with torch.inference_mode():
        a = _embeds(model, [3, 4, 5, 6])
        plain = _call(model, a)
        with caplog.at_level(logging.INFO), ReuseSession(model, ReusePolicy(self_check=False)):
            got = _call(model, a)
    assert not any(isinstance(h, RecomputedLayer) for h in got.hidden_states)
    assert "layers are kept" in caplog.text
    for have, want in zip(got.hidden_states, plain.hidden_states, strict=True):
        torch.testing.assert_close(have, want)
    torch.testing.assert_close(got.logits[0, -1], plain.logits[0, -1])


def test_recomputed_layer_views_have_the_real_shapes():
    model = _model()
    with torch.inference_mode():
        a = _embeds(model, [1, 2, 3, 4, 5])
        plain = _call(model, a)
        with ReuseSession(model, ReusePolicy(self_check=False)):
            layer = _call(model, a).hidden_states[2]
        for view, want in (
            (layer[:, :3], plain.hidden_states[2][:, :3]),
            (layer[0], plain.hidden_states[2][0]),
            (layer[0, -1, 4:9], plain.hidden_states[2][0, -1, 4:9]),
        ):
            assert isinstance(view, RecomputedLayer) and view.shape == want.shape
            assert view.numpy().ravel().tolist() == pytest.approx(
                want.numpy().ravel().tolist(), abs=1e-5
            )
