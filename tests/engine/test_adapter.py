"""HumanAesExpert adapter end to end on the tiny synthetic model (CPU, offline)."""

from __future__ import annotations

import os
import re
import shutil
import sys

import pytest
import torch

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.engine.model.adapter import (
    DeviceUnavailableError,
    HumanAesExpert,
    resolve_device,
    resolve_dtype,
)
from humanaes_desktop.engine.store.manifest import ModelVerificationError

PROFILE = PreprocessProfile(max_tiles=4)
LINE = re.compile(r"^(\d+)\. (.+) : (bad|poor|fair|good|excellent)$")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    # Module-scoped so the loaded engine and its records share one user data dir.
    path = tmp_path_factory.mktemp("data")
    saved = os.environ.get("HUMANAES_DATA_DIR")
    os.environ["HUMANAES_DATA_DIR"] = str(path)
    yield path
    if saved is None:
        os.environ.pop("HUMANAES_DATA_DIR", None)
    else:
        os.environ["HUMANAES_DATA_DIR"] = saved


@pytest.fixture(scope="module")
def engine(tiny_model_dir, data_dir) -> HumanAesExpert:
    return HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1)


@pytest.fixture(scope="module")
def astronaut(sample_photos_dir) -> torch.Tensor:
    return load_pixels(sample_photos_dir / "astronaut.png", PROFILE)


@pytest.fixture(scope="module")
def wide_tiles(sample_photos_dir) -> torch.Tensor:
    # 2 tiles + thumbnail: the multi-tile path.
    from PIL import Image

    from humanaes_desktop.engine.preprocess import pixel_values

    with Image.open(sample_photos_dir / "chelsea.png") as image:
        wide = image.convert("RGB").resize((896, 448))
    pixels = pixel_values(wide, max_tiles=2)
    assert pixels.shape[0] == 3
    return pixels


def test_load_names_a_synthetic_model_on_cpu_fp32(engine):
    assert engine.identity.synthetic is True
    assert engine.identity.repo == "synthetic/tiny"
    assert engine.device == "cpu" and engine.dtype == "fp32"
    assert "SYNTHETIC" in engine.label
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # the test harness value is left as it was


def test_assessment_has_every_field_in_range(engine, astronaut):
    result = engine.assess(astronaut, profile=PROFILE)
    assert 0.0 <= result.overall <= 1.0 and 0.0 <= result.fast_score <= 1.0
    assert result.level in LEVELS
    assert list(result.dimensions) == list(DIMENSION_KEYS)
    assert all(0.0 <= v <= 1.0 for v in result.dimensions.values())
    lines = result.expert_text.splitlines()
    assert [int(LINE.match(line).group(1)) for line in lines] == list(range(1, 13))
    assert lines[0] == f"1. Facial Brightness : {_level(result.dimensions['facial_brightness'])}"
    assert result.annotation is None
    assert result.synthetic is True and result.model == engine.identity
    assert result.tiles == astronaut.shape[0] and result.profile == PROFILE
    for stage in ("vision", "lm", "heads", "score", "metavoter", "expert", "total"):
        assert result.timings[stage] >= 0.0
    assert result.timings["total"] >= result.timings["vision"]
    json_dict = result.to_json_dict()
    assert json_dict["synthetic"] is True and json_dict["model"]["synthetic"] is True


def _level(value: float) -> str:
    from humanaes_desktop.engine.dimensions import level_for

    return level_for(value)


def test_assessment_is_deterministic(engine, astronaut):
    first = engine.assess(astronaut, profile=PROFILE, annotate=True)
    second = engine.assess(astronaut, profile=PROFILE, annotate=True)
    assert first.overall == second.overall and first.dimensions == second.dimensions
    assert first.annotation == second.annotation  # greedy by default
    assert [LINE.match(line).group(1) for line in first.annotation.splitlines()] == [
        str(i) for i in range(1, 13)
    ]


@pytest.mark.parametrize("tiles_fixture", ["astronaut", "wide_tiles"])
def test_reused_assessment_equals_the_seed_calls(engine, request, tiles_fixture):
    pixels = request.getfixturevalue(tiles_fixture)
    plain = engine.reference_full_sequence(pixels)
    engine.assess(pixels, profile=PROFILE)  # the first prefix reuse of a model is self-checked
    result = engine.assess(pixels, profile=PROFILE)
    stats = engine.reuse_stats
    assert result.overall == pytest.approx(plain.overall, abs=1e-4)
    assert result.fast_score == pytest.approx(plain.fast_score, abs=1e-4)
    for key in DIMENSION_KEYS:
        assert result.dimensions[key] == pytest.approx(plain.dimensions[key], abs=1e-4)
    assert engine.reference_score(pixels) == pytest.approx(plain.fast_score, abs=1e-6)
    # The reference code runs the vision encoder 4 times and the language model 4 times for this.
    assert stats.vision_calls == 4 and stats.vision_computed == 1
    assert stats.lm_computed == 1 and stats.lm_prefix_hits == 1 and stats.lm_full_hits == 2
    assert stats.tokens_computed < 0.6 * stats.tokens_requested
    assert engine.reuse_policy.lm_prefix  # the self-check agreed


def test_tampered_code_is_refused_and_not_imported(tiny_model_dir, tmp_path, data_dir):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "tampered_code_copy")
    path = copy / "modeling_internvl_chat.py"
    path.write_text(path.read_text() + "\nimport sys\nsys.HUMANAES_TAMPERED = True\n")
    with pytest.raises(ModelVerificationError) as info:
        HumanAesExpert.load(copy, device="cpu")
    assert info.value.file_name == "modeling_internvl_chat.py"
    assert not hasattr(sys, "HUMANAES_TAMPERED")
    assert not any("tampered_code_copy" in name for name in sys.modules)


def test_tampered_weights_are_refused(tiny_model_dir, tmp_path, data_dir):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "tampered_weights_copy")
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelVerificationError, match="model.safetensors"):
        HumanAesExpert.load(copy, device="cpu")


def test_impossible_device_choices_are_clear_errors():
    if not torch.cuda.is_available():
        with pytest.raises(DeviceUnavailableError, match="--device cpu"):
            resolve_device("cuda")
    with pytest.raises(DeviceUnavailableError, match="unknown device"):
        resolve_device("tpu")
    with pytest.raises(DeviceUnavailableError, match="unknown dtype"):
        resolve_dtype("int4", "cpu")
    assert resolve_dtype("auto", "cpu") == "fp32"
    assert resolve_dtype("auto", "cuda") == "fp16"


def test_load_is_offline_and_restores_the_environment(tiny_model_dir, data_dir, monkeypatch):
    import huggingface_hub.constants as hub_constants
    import transformers

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    seen = {}
    real = transformers.AutoTokenizer.from_pretrained

    def spy(*args, **kwargs):
        seen["env"] = os.environ.get("HF_HUB_OFFLINE")
        seen["hub"] = hub_constants.HF_HUB_OFFLINE
        return real(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", spy)
    HumanAesExpert.load(tiny_model_dir, device="cpu")
    assert seen == {"env": "1", "hub": True}  # offline while loading
    assert "HF_HUB_OFFLINE" not in os.environ and hub_constants.HF_HUB_OFFLINE is False


def test_synthetic_model_passes_defer_their_output_head(engine, astronaut):
    """The verified shortcut is really taken on the model the app runs (see deferred_head.py)."""
    from humanaes_desktop.engine.model.reuse.lazy_logits import LazyLogits

    seen = []
    lm = engine.model.language_model
    hook = lm.register_forward_hook(lambda _m, _a, out: seen.append(type(out.logits)))
    try:
        engine.assess(astronaut, profile=PROFILE)
    finally:
        hook.remove()
    assert engine.reuse_policy.logits_from_hidden is True
    assert engine.reuse_policy.logits_dtype == torch.float32
    # The model code's four language-model calls all got logits that compute only what it reads.
    assert seen == [LazyLogits] * 4


def test_a_cuda_index_that_does_not_exist_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cuda:0") == "cuda:0"
    for bad in ("cuda:1", "cuda:x", "cudax"):
        with pytest.raises(DeviceUnavailableError, match="1 CUDA GPU"):
            resolve_device(bad)


def test_vision_features_tile_by_tile_equal_the_whole_batch(engine, wide_tiles):
    """On CPU the session encodes tiles one call each (less attention memory): same features."""
    from humanaes_desktop.engine.model.reuse.session import ReuseSession

    tiles = wide_tiles.to(torch.float32)
    calls = []
    with torch.inference_mode():
        whole = engine.model.extract_feature(tiles)
        with ReuseSession(engine.model, engine.reuse_policy):
            hook = engine.model.vision_model.register_forward_hook(
                lambda _m, args, _o: calls.append(args[0].shape[0] if args else None)
            )
            try:
                split = engine.model.extract_feature(tiles)
            finally:
                hook.remove()
    assert engine.reuse_policy.cpu_tiles_per_vision_call == 1
    assert len(calls) == tiles.shape[0]  # one encoder call per tile
    torch.testing.assert_close(split, whole, atol=1e-5, rtol=1e-4)
