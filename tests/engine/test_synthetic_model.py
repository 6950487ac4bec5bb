"""The tiny synthetic model loads like the real HumanAesExpert and answers its four API calls."""

from __future__ import annotations

import json
import os
import re

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

from humanaes_desktop.engine.dimensions import DIMENSIONS, LEVELS  # noqa: E402
from humanaes_desktop.engine.model.timm_stand_in import DropPath as StandInDropPath  # noqa: E402
from humanaes_desktop.engine.model.timm_stand_in import ensure_timm_droppath  # noqa: E402

SCORE_QUESTION = "<image>\nRate the aesthetics of this human picture."
ANNOTATION_LINE = re.compile(r"^\d+\. .+ : (bad|poor|fair|good|excellent)$")
LM_CALL_KWARGS = {"inputs_embeds", "attention_mask", "output_hidden_states", "return_dict"}


def load(model_dir):
    """Load exactly as the reference code loads the real model (fp32 on CPU, offline)."""
    from transformers import AutoModel, AutoTokenizer

    stand_in = ensure_timm_droppath()
    model = AutoModel.from_pretrained(
        model_dir,
        torch_dtype=torch.float32,
        low_cpu_mem_usage=True,
        trust_remote_code=True,
        use_flash_attn=False,
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=True, use_fast=False)
    return model, tokenizer, stand_in


@pytest.fixture(scope="module")
def loaded(tiny_model_dir):
    torch.set_num_threads(1)
    return load(tiny_model_dir)


@pytest.fixture(scope="module")
def pixels():
    # Two tiles, like a landscape photo plus its thumbnail; fixed values for determinism.
    generator = torch.Generator().manual_seed(7)
    return torch.randn(2, 3, 448, 448, generator=generator)


def test_loads_offline_with_every_weight_present(tiny_model_dir):
    from transformers import AutoModel

    ensure_timm_droppath()
    model, info = AutoModel.from_pretrained(
        tiny_model_dir,
        torch_dtype=torch.float32,
        low_cpu_mem_usage=True,
        trust_remote_code=True,
        use_flash_attn=False,
        output_loading_info=True,
    )
    assert type(model).__name__ == "InternVLChatModel"
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    assert model.config.humanaes_synthetic["preset"] == "tiny"


def test_vision_blocks_use_droppath_from_the_timm_import(loaded):
    model, _, stand_in = loaded
    drop_paths = [m for m in model.vision_model.modules() if type(m).__name__ == "DropPath"]
    assert len(drop_paths) == 2 * model.config.vision_config.num_hidden_layers
    if stand_in:
        assert all(isinstance(m, StandInDropPath) for m in drop_paths)


def test_tokenizer_is_slow_qwen2_and_round_trips_text(loaded):
    _, tokenizer, _ = loaded
    assert type(tokenizer).__name__ == "Qwen2Tokenizer"
    text = "Hello wörld — 1. Facial Brightness : good\n日本語 🙂"
    assert tokenizer.decode(tokenizer.encode(text)) == text
    for word in LEVELS:
        assert len(tokenizer.tokenize(word)) == 1
        assert len(tokenizer.tokenize(" " + word)) == 1
    image_ids = tokenizer.convert_tokens_to_ids(["<img>", "</img>", "<IMG_CONTEXT>"])
    assert len(set(image_ids)) == 3
    assert max(image_ids) < tokenizer_vocab_rows(loaded)


def tokenizer_vocab_rows(loaded) -> int:
    return loaded[0].language_model.get_input_embeddings().weight.shape[0]


def test_extract_feature_gives_256_tokens_per_tile(loaded, pixels):
    model, _, _ = loaded
    with torch.no_grad():
        features = model.extract_feature(pixels)
    assert features.shape == (2, 256, model.config.llm_config.hidden_size)


def test_score_is_a_float_in_unit_range(loaded, pixels):
    model, tokenizer, _ = loaded
    score = model.score(tokenizer, pixels, SCORE_QUESTION)
    assert isinstance(score, float) and 0.0 <= score <= 1.0


def test_run_metavoter_is_in_unit_range(loaded, pixels):
    model, tokenizer, _ = loaded
    value = float(model.run_metavoter(tokenizer, pixels))
    assert 0.0 <= value <= 1.0


def test_expert_score_gives_twelve_named_dimensions_in_model_order(loaded, pixels):
    model, tokenizer, _ = loaded
    scores, by_name = model.expert_score(tokenizer, pixels)
    assert isinstance(scores, torch.Tensor) and scores.shape == (12,)
    assert list(by_name) == [d.name for d in DIMENSIONS]
    assert all(0.0 <= v <= 1.0 for v in by_name.values())
    assert [by_name[d.name] for d in DIMENSIONS] == pytest.approx(scores.tolist())


def test_annotation_has_twelve_template_lines_with_level_words(loaded, pixels):
    model, tokenizer, _ = loaded
    text = model.expert_annotataion(tokenizer, pixels, {"max_new_tokens": 1024, "do_sample": False})
    lines = text.split("\n")
    assert len(lines) == 12
    for index, (line, dimension) in enumerate(zip(lines, DIMENSIONS, strict=True), start=1):
        assert ANNOTATION_LINE.match(line), line
        assert line.startswith(f"{index}. {dimension.name} : ")


def test_sampled_annotation_keeps_the_format(loaded, pixels):
    model, tokenizer, _ = loaded
    torch.manual_seed(3)
    text = model.expert_annotataion(tokenizer, pixels, {"do_sample": True, "temperature": 2.0})
    assert all(ANNOTATION_LINE.match(line) for line in text.split("\n"))


def test_results_repeat_exactly_for_the_same_input(loaded, pixels):
    model, tokenizer, _ = loaded
    greedy = {"do_sample": False}
    first = all_results(model, tokenizer, pixels, greedy)
    second = all_results(model, tokenizer, pixels, greedy)
    assert first == second


def all_results(model, tokenizer, pixels, generation_config):
    return (
        model.score(tokenizer, pixels, SCORE_QUESTION),
        float(model.run_metavoter(tokenizer, pixels)),
        model.expert_score(tokenizer, pixels)[0].tolist(),
        model.expert_annotataion(tokenizer, pixels, generation_config),
    )


def test_scores_depend_on_the_image(loaded, pixels):
    model, tokenizer, _ = loaded
    other = torch.flip(pixels, dims=[-1]) * 0.5
    assert model.expert_score(tokenizer, pixels)[0].tolist() != pytest.approx(
        model.expert_score(tokenizer, other)[0].tolist(), abs=1e-6
    )


class CallRecorder:
    """Counts language-model and vision calls through the seams callers may wrap."""

    def __init__(self, model):
        self.lm_calls: list[dict] = []
        self.inner_lm_calls = 0
        self.feature_calls = 0
        self.vision_calls = 0
        original = model.extract_feature

        def counting_extract_feature(pixel_values):
            self.feature_calls += 1
            return original(pixel_values)

        model.extract_feature = counting_extract_feature  # instance attribute, as B2 wraps it
        self.handles = [
            model.language_model.register_forward_pre_hook(self._on_lm, with_kwargs=True),
            model.language_model.model.register_forward_pre_hook(self._on_inner_lm),
            model.vision_model.register_forward_pre_hook(self._on_vision),
        ]
        self.model = model

    def _on_lm(self, module, args, kwargs):
        self.lm_calls.append(dict(kwargs))

    def _on_inner_lm(self, module, args):
        self.inner_lm_calls += 1

    def _on_vision(self, module, args):
        self.vision_calls += 1

    def close(self):
        for handle in self.handles:
            handle.remove()
        del self.model.extract_feature


@pytest.mark.parametrize(
    ("method", "lm_calls", "feature_calls"),
    [("score", 1, 1), ("run_metavoter", 2, 2), ("expert_score", 1, 1), ("annotate", 13, 1)],
)
def test_every_pass_goes_through_the_two_seams(loaded, pixels, method, lm_calls, feature_calls):
    model, tokenizer, _ = loaded
    recorder = CallRecorder(model)
    try:
        call_method(model, tokenizer, pixels, method)
    finally:
        recorder.close()
    assert len(recorder.lm_calls) == lm_calls
    assert recorder.inner_lm_calls == lm_calls  # nothing runs the decoder behind __call__'s back
    assert recorder.feature_calls == feature_calls
    assert recorder.vision_calls == feature_calls  # the ViT runs only inside extract_feature
    prompt_pass = recorder.lm_calls[0]
    assert set(prompt_pass) == LM_CALL_KWARGS
    assert prompt_pass["output_hidden_states"] is True and prompt_pass["return_dict"] is True


def call_method(model, tokenizer, pixels, method):
    if method == "score":
        return model.score(tokenizer, pixels, SCORE_QUESTION)
    if method == "annotate":
        return model.expert_annotataion(tokenizer, pixels, {"do_sample": False})
    return getattr(model, method)(tokenizer, pixels)


def test_prompts_share_the_image_prefix(loaded, pixels):
    """The image sits before the question, so the metavoter's two passes share a long prefix."""
    model, tokenizer, _ = loaded
    recorder = CallRecorder(model)
    try:
        model.run_metavoter(tokenizer, pixels)
    finally:
        recorder.close()
    first, second = (call["inputs_embeds"][0] for call in recorder.lm_calls)
    assert not torch.equal(first, second)
    shared = 0
    while shared < min(len(first), len(second)) and torch.equal(first[shared], second[shared]):
        shared += 1
    assert shared > 2 * model.num_image_token


def test_expert_head_is_hierarchical(loaded):
    """Changing the facial leaves moves the facial parent and the overall score, nothing else."""
    import copy

    head = copy.deepcopy(loaded[0].language_model.expert_head)
    hidden = torch.randn(4, head.facial.in_features, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = head(hidden)
        head.facial.weight.add_(0.5)
        after = head(hidden)
    changed = [i for i in range(12) if not torch.allclose(before[:, i], after[:, i])]
    assert changed == [0, 1, 2, 3, 4, 5, 11]


def test_a_different_seed_gives_a_different_model(loaded, pixels, tmp_path):
    from humanaes_desktop.engine.synthetic import build_synthetic_model

    other_model, other_tokenizer, _ = load(build_synthetic_model(tmp_path / "seed1", seed=1))
    model, tokenizer, _ = loaded
    assert other_model.expert_score(other_tokenizer, pixels)[0].tolist() != pytest.approx(
        model.expert_score(tokenizer, pixels)[0].tolist(), abs=1e-6
    )
    config = json.loads((tmp_path / "seed1" / "config.json").read_text())
    assert config["humanaes_synthetic"]["seed"] == 1
