"""The reuse wrappers on a small real transformers Qwen2: same numbers, less work.

The model here is a test double that follows the seams the adapter relies on (an
`extract_feature` method and a `language_model` called with inputs_embeds); the end-to-end check
on the synthetic HumanAesExpert model lives in test_adapter.py.
"""

from __future__ import annotations

import logging

import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from humanaes_desktop.engine.model.reuse.session import (
    ReusePolicy,
    ReuseSession,
    common_prefix_length,
)

HIDDEN = 32


class PromptModel(torch.nn.Module):
    """Three 'API methods' whose prompts share an image prefix, like the HumanAesExpert calls."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        config = Qwen2Config(
            vocab_size=80,
            hidden_size=HIDDEN,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=256,
        )
        config._attn_implementation = "eager"
        self.language_model = Qwen2ForCausalLM(config).eval()
        self.vision = torch.nn.Linear(12, HIDDEN * 4)
        self.tiles_encoded = 0

    def extract_feature(self, pixel_values: torch.Tensor) -> torch.Tensor:
        self.tiles_encoded += pixel_values.shape[0]
        return self.vision(pixel_values.flatten(1)).reshape(pixel_values.shape[0], 4, HIDDEN)

    def _embeds(self, pixel_values: torch.Tensor, question: list[int]) -> torch.Tensor:
        embed = self.language_model.get_input_embeddings()
        image = self.extract_feature(pixel_values).reshape(1, -1, HIDDEN)
        system = embed(torch.tensor([[1, 2, 3]]))
        return torch.cat([system, image, embed(torch.tensor([question]))], dim=1)

    def _last(self, embeds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.language_model(
            inputs_embeds=embeds,
            attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
            output_hidden_states=True,
            return_dict=True,
        )
        return out.logits[0, -1], out.hidden_states[-1][0, -1]

    def score(self, pixel_values: torch.Tensor) -> float:
        logits, _ = self._last(self._embeds(pixel_values, [10, 11, 12]))
        return float(logits[:5].softmax(-1) @ torch.linspace(0, 1, 5))

    def run_metavoter(self, pixel_values: torch.Tensor) -> float:
        logits, hidden = self._last(self._embeds(pixel_values, [10, 11, 12]))
        _, hidden2 = self._last(self._embeds(pixel_values, [20, 21]))
        return float(torch.sigmoid(logits[:5].mean() + hidden.mean() + hidden2.mean()))

    def expert_score(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _, hidden = self._last(self._embeds(pixel_values, [20, 21]))
        return torch.sigmoid(hidden[:12])


def everything(model: PromptModel, pixels: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    return model.score(pixels), model.run_metavoter(pixels), model.expert_score(pixels)


@pytest.fixture
def model() -> PromptModel:
    return PromptModel()


@pytest.fixture
def pixels() -> torch.Tensor:
    return torch.randn(3, 3, 2, 2, generator=torch.Generator().manual_seed(1))


def test_reused_results_equal_plain_calls_with_one_vision_pass(model, pixels):
    with torch.inference_mode():
        plain = everything(model, pixels)
        plain_vision = model.tiles_encoded
        model.tiles_encoded = 0
        policy = ReusePolicy(self_check=False)
        with ReuseSession(model, policy) as session:
            reused = everything(model, pixels)
    assert plain_vision == 4 * 3  # 4 calls x 3 tiles
    assert model.tiles_encoded == 3  # each of the 3 tiles once (one call per tile on CPU)
    assert reused[0] == pytest.approx(plain[0], abs=1e-5)
    assert reused[1] == pytest.approx(plain[1], abs=1e-5)
    torch.testing.assert_close(reused[2], plain[2], atol=1e-5, rtol=1e-4)
    stats = session.stats
    assert stats.vision_calls == 4 and stats.vision_computed == 1
    assert stats.lm_calls == 4
    assert stats.lm_computed == 1  # one full pass; the rest are hits or suffix runs
    assert stats.lm_full_hits == 2 and stats.lm_prefix_hits == 1
    assert stats.tokens_computed < stats.tokens_requested / 2


def test_prefix_outputs_are_the_full_pass_tensors(model, pixels):
    with torch.inference_mode():
        a = model._embeds(pixels, [10, 11, 12])
        b = model._embeds(pixels, [20, 21])
        plain = model.language_model(inputs_embeds=b, output_hidden_states=True, return_dict=True)
        with ReuseSession(model, ReusePolicy(self_check=False)):
            model.language_model(inputs_embeds=a, output_hidden_states=True, return_dict=True)
            reused = model.language_model(
                inputs_embeds=b, output_hidden_states=True, return_dict=True
            )
    assert reused.logits.shape == plain.logits.shape
    torch.testing.assert_close(reused.logits, plain.logits, atol=1e-5, rtol=1e-4)
    assert len(reused.hidden_states) == len(plain.hidden_states)
    for got, want in zip(reused.hidden_states, plain.hidden_states, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    for (k, v), (pk, pv) in zip(reused.past_key_values, plain.past_key_values, strict=True):
        torch.testing.assert_close(k, pk, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(v, pv, atol=1e-5, rtol=1e-4)


def test_self_check_runs_one_full_pass_then_trusts_prefix_reuse(model, pixels):
    policy = ReusePolicy()
    with torch.inference_mode():
        with ReuseSession(model, policy) as first:
            everything(model, pixels)
        with ReuseSession(model, policy) as second:
            everything(model, pixels)
    assert policy.checked and policy.lm_prefix
    assert first.stats.lm_computed == 2  # the check's full pass
    assert second.stats.lm_computed == 1 and second.stats.lm_prefix_hits == 1


def test_session_leaves_the_model_as_it_was(model, pixels):
    with torch.inference_mode(), ReuseSession(model):
        everything(model, pixels)
    assert "extract_feature" not in model.__dict__
    assert "forward" not in model.language_model.__dict__
    model.tiles_encoded = 0
    with torch.inference_mode():
        everything(model, pixels)
    assert model.tiles_encoded == 4 * 3


def test_different_image_is_not_served_from_cache(model, pixels):
    with torch.inference_mode(), ReuseSession(model, ReusePolicy(self_check=False)) as session:
        first = model.score(pixels)
        second = model.score(pixels + 1)
    assert session.stats.vision_computed == 2
    assert first != second


def test_generation_steps_pass_through(model, pixels):
    with torch.inference_mode(), ReuseSession(model) as session:
        embeds = model._embeds(pixels, [10])
        out = model.language_model.generate(
            inputs_embeds=embeds, max_new_tokens=3, do_sample=False, pad_token_id=0
        )
    assert out.shape[-1] == 3
    assert session.stats.lm_passthrough >= 3


def test_missing_seams_fall_back_and_say_so_once(caplog):
    class Plain:
        def score(self) -> float:
            return 0.5

    policy = ReusePolicy()
    caplog.set_level(logging.WARNING, logger="humanaes_desktop.engine.model.reuse.session")
    for _ in range(2):
        with ReuseSession(Plain(), policy):
            pass
    messages = [r.getMessage() for r in caplog.records]
    assert sum("extract_feature" in m for m in messages) == 1
    assert sum("language_model.forward" in m for m in messages) == 1


def test_common_prefix_length():
    a = torch.zeros(1, 5, 2)
    b = a.clone()
    b[0, 3] = 1
    assert common_prefix_length(a, b) == 3
    assert common_prefix_length(a, a[:, :4]) == 4


class ForgetfulLM(torch.nn.Module):
    """A language model that ignores the cache it is given: prefix reuse would be wrong."""

    def __init__(self, inner: Qwen2ForCausalLM) -> None:
        super().__init__()
        self.inner = inner

    def get_input_embeddings(self):
        return self.inner.get_input_embeddings()

    def forward(self, **kwargs):
        kwargs.pop("past_key_values", None)
        kwargs.pop("position_ids", None)
        mask = kwargs.get("attention_mask")
        if mask is not None:
            kwargs["attention_mask"] = mask[:, -kwargs["inputs_embeds"].shape[1] :]
        return self.inner(**kwargs)


def test_self_check_switches_prefix_reuse_off_when_it_disagrees(model, pixels, caplog):
    model.language_model = ForgetfulLM(model.language_model)
    policy = ReusePolicy()
    caplog.set_level(logging.WARNING, logger="humanaes_desktop.engine.model.reuse.session")
    with torch.inference_mode():
        plain = everything(model, pixels)
        with ReuseSession(model, policy):
            first = everything(model, pixels)
        with ReuseSession(model, policy) as second:
            again = everything(model, pixels)
    assert policy.checked and not policy.lm_prefix
    assert any("switched off" in r.getMessage() for r in caplog.records)
    for got in (first, again):
        assert got[0] == pytest.approx(plain[0], abs=1e-5)
        assert got[1] == pytest.approx(plain[1], abs=1e-5)
        torch.testing.assert_close(got[2], plain[2], atol=1e-5, rtol=1e-4)
    assert second.stats.lm_prefix_hits == 0 and second.stats.lm_computed == 2


def _plain_logits(model: PromptModel, embeds: torch.Tensor) -> torch.Tensor:
    return model.language_model(inputs_embeds=embeds, return_dict=True).logits


def test_hits_return_lazy_logits_equal_to_a_plain_pass_at_every_position(model, pixels):
    from humanaes_desktop.engine.model.reuse.lazy_logits import LazyLogits

    with torch.inference_mode():
        a = model._embeds(pixels, [10, 11, 12])
        b = model._embeds(pixels, [20, 21])
        plain_a, plain_b = _plain_logits(model, a), _plain_logits(model, b)
        with ReuseSession(model, ReusePolicy(self_check=False)) as session:
            first = model.language_model(inputs_embeds=a, return_dict=True).logits
            prefix_hit = model.language_model(inputs_embeds=b, return_dict=True).logits
            same_b = model.language_model(inputs_embeds=b, return_dict=True).logits
            same_a = model.language_model(inputs_embeds=a, return_dict=True).logits
            kept = [stored.logits for stored in session._passes]
            last_row = prefix_hit[0, -1]  # what the HumanAesExpert code reads
    # Computed or reused, no pass materialises full-vocabulary logits for every position.
    assert all(isinstance(t, LazyLogits) for t in (first, prefix_hit, same_b, same_a))
    assert kept == [[], []]  # no pass keeps full-vocabulary logits for the session
    assert last_row.shape == (plain_b.shape[-1],)  # one row, computed when it is read
    torch.testing.assert_close(last_row, plain_b[0, -1], atol=1e-5, rtol=1e-4)
    for reused, plain in ((first, plain_a), (prefix_hit, plain_b), (same_b, plain_b)):
        torch.testing.assert_close(reused, plain, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(same_a, plain_a, atol=1e-5, rtol=1e-4)


def test_lazy_logits_compute_only_the_rows_read():
    from humanaes_desktop.engine.model.reuse.lazy_logits import LazyLogits

    head = torch.nn.Linear(8, 50, bias=False)
    rows_computed: list[int] = []
    head.register_forward_hook(lambda _m, inputs, _o: rows_computed.append(inputs[0].numel() // 8))
    hidden = torch.randn(1, 30, 8, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        full = head(hidden)
        rows_computed.clear()
        lazy = LazyLogits(hidden, head, torch.float32)
        assert lazy.shape == (1, 30, 50) and lazy.dtype == torch.float32
        picked = lazy[0, -1, [3, 7, 11]]
        window = lazy[:, 10:12]
        assert rows_computed == [1]  # the last position only; the slice is still lazy
        torch.testing.assert_close(picked, full[0, -1, [3, 7, 11]])
        torch.testing.assert_close(window.softmax(-1), full[:, 10:12].softmax(-1))
        assert torch.equal(lazy.argmax(-1), full.argmax(-1))
        # What model code does with a row: numpy, lists, scalars, copies.
        numpy_row = lazy[0, -1].numpy()
        assert numpy_row.shape == (50,) and abs(float(numpy_row[7]) - float(full[0, -1, 7])) < 1e-5
        assert lazy[0, -1, :3].tolist() == pytest.approx(full[0, -1, :3].tolist(), abs=1e-5)
        torch.testing.assert_close(lazy.cpu(), full)


class DoubledLogits(Qwen2ForCausalLM):
    """Logits = 2 x head(hidden): its head alone does not reproduce them."""

    def forward(self, *args, **kwargs):
        out = super().forward(*args, **kwargs)
        out["logits"] = out.logits * 2
        return out


def test_a_model_whose_head_does_not_give_its_logits_keeps_full_logits(model, pixels, caplog):
    doubled = DoubledLogits(model.language_model.config).eval()
    doubled.load_state_dict(model.language_model.state_dict())
    model.language_model = doubled
    policy = ReusePolicy(self_check=False)
    with torch.inference_mode():
        plain = everything(model, pixels)
        with caplog.at_level(logging.INFO), ReuseSession(model, policy) as session:
            reused = everything(model, pixels)
            kept = [len(stored.logits) for stored in session._passes]
    assert policy.logits_from_hidden is False
    assert "does NOT reproduce" in caplog.text
    assert kept and all(n >= 1 for n in kept)
    assert reused[0] == pytest.approx(plain[0], abs=1e-5)
    assert reused[1] == pytest.approx(plain[1], abs=1e-5)
    torch.testing.assert_close(reused[2], plain[2], atol=1e-5, rtol=1e-4)
