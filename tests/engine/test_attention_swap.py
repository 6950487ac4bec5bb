"""SDPA attention swapped into the tiny synthetic model: same scores, checked, recorded.

The synthetic model keeps the layout of InternVL2's code (InternAttention with `_naive_attn`,
transformers' Qwen2 attention classes with "eager" forced by the chat class), so the seams
found here are the ones the real model's code offers.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import shutil
import sys

import pytest
import torch
import torch.nn.functional as F

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from humanaes_desktop.engine.model.attention.language import language_attention
from humanaes_desktop.engine.model.attention.vision import vision_attention_modules

PROFILE = PreprocessProfile(max_tiles=2)
REAL_SDPA = F.scaled_dot_product_attention


@pytest.fixture(scope="module")
def pixels(sample_photos_dir) -> torch.Tensor:
    return load_pixels(sample_photos_dir / "chelsea.png", PROFILE)  # 2 tiles + thumbnail


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def eager_result(tiny_model_dir, pixels, tmp_path_factory):
    """The assessment computed by the model's own attention code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUMANAES_DATA_DIR", str(tmp_path_factory.mktemp("eager")))
        engine = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1, attention=False)
        return engine.assess(pixels, profile=PROFILE)


def _load(folder) -> HumanAesExpert:
    return HumanAesExpert.load(folder, device="cpu", threads=1)


def _assert_same_scores(result, expected, tolerance=1e-4):
    assert result.overall == pytest.approx(expected.overall, abs=tolerance)
    assert result.fast_score == pytest.approx(expected.fast_score, abs=tolerance)
    for key in DIMENSION_KEYS:
        assert result.dimensions[key] == pytest.approx(expected.dimensions[key], abs=tolerance)


def test_both_parts_run_sdpa_with_the_scores_of_the_eager_code(
    tiny_model_dir, pixels, eager_result, user_data
):
    engine = _load(tiny_model_dir)
    assert engine.attention_backend == "sdpa"
    assert eager_result.attention == "eager"
    result = engine.assess(pixels, profile=PROFILE)
    assert result.attention == "sdpa" and result.to_json_dict()["attention"] == "sdpa"
    _assert_same_scores(result, eager_result)
    _assert_same_scores(engine.assess(pixels, profile=PROFILE), eager_result)


def test_the_swap_lives_on_the_instance_not_the_class(tiny_model_dir, user_data):
    swapped = _load(tiny_model_dir)
    plain = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1, attention=False)
    vision = vision_attention_modules(swapped.model)
    assert vision and all("_naive_attn" in m.__dict__ for m in vision)
    assert not any("_naive_attn" in m.__dict__ for m in vision_attention_modules(plain.model))
    assert swapped.model.language_model.config._attn_implementation == "sdpa"
    assert plain.model.language_model.config._attn_implementation == "eager"
    # The plain model still finds its eager modules to swap: nothing leaked into the classes.
    assert len(language_attention(plain.model.language_model).swappable) == 2


def _keys_against_the_wrong_values(query, key, value, *args, **kwargs):
    """A broken kernel: each head attends with the values of its neighbouring head (a head
    layout mix-up; visible even where attention is near uniform, as in random-weight models)."""
    return REAL_SDPA(query, key, value.roll(1, dims=1), *args, **kwargs)


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_a_broken_kernel_is_caught_and_switched_off_before_any_score_sees_it(
    tiny_model_dir, pixels, eager_result, user_data, monkeypatch, caplog, dtype
):
    monkeypatch.setattr(F, "scaled_dot_product_attention", _keys_against_the_wrong_values)
    engine = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1, dtype=dtype)
    assert engine.attention_backend == "sdpa"  # installed; not yet checked
    with caplog.at_level(logging.WARNING):
        result = engine.assess(pixels, profile=PROFILE)
    assert engine.attention_backend == "eager" and result.attention == "eager"
    # What the model's own code computes in this dtype (bf16 rounds differently from fp32).
    _assert_same_scores(result, eager_result, tolerance=1e-4 if dtype == "fp32" else 3e-2)
    switched = [r.getMessage() for r in caplog.records if "switched off" in r.getMessage()]
    assert len(switched) == 2  # vision and language, each saying why
    assert any(m.startswith("language attention") and "DIFFERS" in m for m in switched)
    assert any(m.startswith("vision attention") and "differs by" in m for m in switched)


def test_a_failed_check_is_remembered_by_the_next_process(
    tiny_model_dir, pixels, eager_result, user_data, monkeypatch, caplog
):
    with monkeypatch.context() as patch:
        patch.setattr(F, "scaled_dot_product_attention", _keys_against_the_wrong_values)
        _load(tiny_model_dir).assess(pixels, profile=PROFILE)
    with caplog.at_level(logging.INFO, logger="humanaes_desktop.engine.model.speedups"):
        later = _load(tiny_model_dir)
    assert later.attention_backend == "eager"
    assert "an earlier self-check found SDPA differs" in caplog.text
    result = later.assess(pixels, profile=PROFILE)
    assert "self_check" not in result.timings
    _assert_same_scores(result, eager_result)


def test_passing_checks_are_not_paid_again_by_a_later_process(
    tiny_model_dir, pixels, user_data, caplog
):
    first = _load(tiny_model_dir)
    with caplog.at_level(logging.INFO):
        checked = first.assess(pixels, profile=PROFILE)
    assert checked.timings["self_check"] > 0
    assert "prefix reuse verified against a full pass" in caplog.text
    assert first.reuse_stats.lm_computed == 2  # the prefix check's full pass
    assert "self_check" not in first.assess(pixels, profile=PROFILE).timings
    assert first.reuse_stats.lm_computed == 1
    caplog.clear()
    later = _load(tiny_model_dir)
    with caplog.at_level(logging.INFO):
        result = later.assess(pixels, profile=PROFILE)
    assert "self_check" not in result.timings
    assert "verified against a full pass" not in caplog.text
    assert "agrees with the model's own attention" not in caplog.text
    assert later.reuse_stats.lm_computed == 1  # no second full pass on the first photo
    assert later.reuse_policy.lm_prefix and later.attention_backend == "sdpa"


def test_the_first_assessment_says_which_tricks_engaged_once(
    tiny_model_dir, pixels, user_data, caplog
):
    engine = _load(tiny_model_dir)
    with caplog.at_level(logging.INFO, logger="humanaes_desktop.engine.model.speedups"):
        engine.assess(pixels, profile=PROFILE)
        engine.assess(pixels, profile=PROFILE)
    lines = [r for r in caplog.records if r.getMessage().startswith("first assessment")]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    text = lines[0].getMessage()
    assert "vision 4 calls -> 1 computed" in text
    assert "attention sdpa" in text and "dtype fp32" in text


def test_a_warning_when_reuse_never_engages(tiny_model_dir, pixels, user_data, caplog):
    engine = _load(tiny_model_dir)
    model = engine.model

    def unknown_argument_pass(inputs_embeds, attention_mask):
        # A model whose code passes an argument the reuse wrappers do not know.
        return model.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            output_hidden_states=True,
            return_dict=True,
            cache_position=None,
        )

    model._language_pass = unknown_argument_pass
    with caplog.at_level(logging.WARNING, logger="humanaes_desktop.engine.model.speedups"):
        engine.assess(pixels, profile=PROFILE)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Reuse never engaged for the language model" in warnings[0]
    assert "4 passed through" in warnings[0]


def test_verdicts_are_kept_per_model_code_and_runtime(tiny_model_dir, tmp_path):
    from humanaes_desktop.engine.model.verdicts import model_code_hash, verdict_key
    from humanaes_desktop.engine.store.manifest import verify_model_folder

    verified = verify_model_folder(tiny_model_dir)
    key = verdict_key(verified, "cpu", "fp32")
    assert key == verdict_key(verified, "cpu", "fp32")
    assert key != verdict_key(verified, "cpu", "bf16")
    assert key != verdict_key(verified, "cuda:0", "fp32")
    assert "transformers 4.44.2" in key and verified.identity.key in key
    copy = shutil.copytree(tiny_model_dir, tmp_path / "edited")
    assert model_code_hash(copy) == model_code_hash(tiny_model_dir)
    code = copy / "modeling_intern_vit.py"
    code.write_text(code.read_text() + "\n# edited\n")
    assert model_code_hash(copy) != model_code_hash(tiny_model_dir)


def test_an_unwritable_verdict_record_only_costs_the_check_again(
    tiny_model_dir, pixels, eager_result, user_data, caplog
):
    from humanaes_desktop.engine.model.verdicts import RECORD

    (user_data / RECORD).mkdir(parents=True)  # a directory where the record should be
    engine = _load(tiny_model_dir)
    with caplog.at_level(logging.WARNING):
        result = engine.assess(pixels, profile=PROFILE)
    _assert_same_scores(result, eager_result)
    assert result.attention == "sdpa"
    assert "could not keep the attention_language self-check's verdict" in caplog.text


def _remote_code_copy_of_qwen2(folder):
    """transformers' Qwen2 code copied into a module of its own, as model repositories ship it
    (HumanAesExpert's modeling_qwen.py is such a copy with its heads added)."""
    from transformers.models.qwen2 import modeling_qwen2

    source = inspect.getsource(modeling_qwen2)
    source = source.replace("from ...", "from transformers.").replace(
        "from .configuration_qwen2", "from transformers.models.qwen2.configuration_qwen2"
    )
    path = folder / "remote_modeling_qwen.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("remote_modeling_qwen", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _tiny_eager_qwen2(code):
    """A 2-layer Qwen2 causal LM built from `code` (a module holding Qwen2's classes), eager
    attention as InternVL's chat class sets it without flash-attn."""
    from transformers import Qwen2Config

    config = Qwen2Config(
        vocab_size=300,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
    )
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    return code.Qwen2ForCausalLM(config).eval()


def test_a_remote_code_copy_of_qwen2_is_swapped_and_passes_the_check(tmp_path):
    from types import SimpleNamespace

    from humanaes_desktop.engine.model.attention.check import check_language
    from humanaes_desktop.engine.model.attention.swap import AttentionSwap

    remote = _remote_code_copy_of_qwen2(tmp_path)
    lm = _tiny_eager_qwen2(remote)
    found = language_attention(lm)
    assert [type(m) for m, _ in found.swappable] == [remote.Qwen2Attention] * 2
    assert all(sdpa is remote.Qwen2SdpaAttention for _, sdpa in found.swappable)
    swap = AttentionSwap(SimpleNamespace(language_model=lm))
    swap.install()
    assert swap.parts["language"].backend == "sdpa" and swap.parts["language"].modules == 2
    outcome = check_language(swap)
    assert outcome.agrees and outcome.difference < 1e-5


def test_a_remote_copy_whose_module_name_now_holds_another_folder_is_still_swapped(tmp_path):
    """Loading a second folder of the same name replaces `transformers_modules.<name>` in
    sys.modules (isolate_remote_code); the first model's classes are still found with the
    table of the code they came from."""
    first = _remote_code_copy_of_qwen2(tmp_path)
    lm = _tiny_eager_qwen2(first)
    (tmp_path / "other").mkdir()
    second = _remote_code_copy_of_qwen2(tmp_path / "other")  # same module name, new objects
    assert sys.modules["remote_modeling_qwen"] is second and second is not first
    found = language_attention(lm)
    assert [type(m) for m, _ in found.swappable] == [first.Qwen2Attention] * 2
    assert all(sdpa is first.Qwen2SdpaAttention for _, sdpa in found.swappable)
    assert found.unmatched == 0
