"""The synthetic model folder mirrors the real repository and is honest about being synthetic."""

from __future__ import annotations

import hashlib
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from safetensors import safe_open  # noqa: E402

from humanaes_desktop.engine.synthetic import (  # noqa: E402
    MANIFEST_NAME,
    PRESETS,
    SyntheticModelError,
    build_synthetic_model,
    meta_model,
    synthetic_config,
    template_hashes,
)
from humanaes_desktop.errors import UserError  # noqa: E402

# The 16 files of KlingTeam/HumanAesExpert-1B (MODEL_FACTS.md).
REAL_REPOSITORY_FILES = {
    "model.safetensors",
    "config.json",
    "configuration.json",
    "generation_config.json",
    "preprocessor_config.json",
    "configuration_intern_vit.py",
    "configuration_internvl_chat.py",
    "modeling_intern_vit.py",
    "modeling_internvl_chat.py",
    "modeling_qwen.py",
    "conversation.py",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "merges.txt",
    "vocab.json",
}
REAL_1B_PARAMETERS = 938_200_000  # "938 M"; the fp16 file is 1,876,417,886 bytes


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_folder_has_the_real_repository_files_plus_a_manifest(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert names == REAL_REPOSITORY_FILES | {MANIFEST_NAME}
    assert json.loads((tiny_model_dir / "configuration.json").read_text()) == {}


def test_config_marks_the_model_synthetic(tiny_model_dir):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    marker = config["humanaes_synthetic"]
    assert marker["preset"] == "tiny" and marker["seed"] == 0
    assert "meaningless" in marker["note"]
    assert config["auto_map"]["AutoModel"] == "modeling_internvl_chat.InternVLChatModel"


def test_manifest_lists_every_other_file_with_its_sha256(tiny_model_dir):
    entries = {}
    for line in (tiny_model_dir / MANIFEST_NAME).read_text().splitlines():
        digest, name = line.split("  ", 1)  # sha256sum's text-mode format
        entries[name] = digest
    assert set(entries) == REAL_REPOSITORY_FILES
    assert all(entries[name] == sha256(tiny_model_dir / name) for name in entries)


def test_code_files_are_the_shipped_templates_for_every_build(tiny_model_dir, tmp_path):
    other = build_synthetic_model(tmp_path / "other", seed=5, dtype="float32")
    expected = template_hashes()
    assert set(expected) == {n for n in REAL_REPOSITORY_FILES if n.endswith(".py")}
    for folder in (tiny_model_dir, other):
        assert {name: sha256(folder / name) for name in expected} == expected


def test_same_seed_gives_byte_identical_weights(tiny_model_dir, tmp_path):
    again = build_synthetic_model(tmp_path / "again", preset="tiny", seed=0)
    assert sha256(again / "model.safetensors") == sha256(tiny_model_dir / "model.safetensors")
    other = build_synthetic_model(tmp_path / "other", preset="tiny", seed=1)
    assert sha256(other / "model.safetensors") != sha256(tiny_model_dir / "model.safetensors")


def test_weights_are_stored_in_the_requested_dtype(tiny_model_dir, tmp_path):
    fp32 = build_synthetic_model(tmp_path / "fp32", dtype="float32")
    for folder, expected in ((tiny_model_dir, "float16"), (fp32, "float32")):
        with safe_open(str(folder / "model.safetensors"), framework="pt") as weights:
            assert weights.metadata()["format"] == "pt"
            dtypes = {str(weights.get_slice(k).get_dtype()) for k in weights.keys()}
        assert dtypes == {"F16" if expected == "float16" else "F32"}


def test_special_tokens_use_the_real_ids_in_the_full_preset():
    config = synthetic_config("full")
    assert config["llm_config"]["vocab_size"] == 151655
    assert config["llm_config"]["eos_token_id"] == 151645  # <|im_end|>


def test_full_preset_has_the_internvl2_1b_parameter_count():
    """Instantiated on the meta device only: no memory is allocated for the 938 M weights."""
    model = meta_model(synthetic_config("full"))
    total = sum(p.numel() for p in model.parameters())
    vision = sum(p.numel() for p in model.vision_model.parameters())
    print(f"full preset: {total:,} parameters ({vision:,} in the vision encoder)")
    assert all(p.device.type == "meta" for p in model.parameters())
    assert abs(total - REAL_1B_PARAMETERS) / REAL_1B_PARAMETERS < 0.01
    assert model.num_image_token == 256
    assert model.mlp1[0].normalized_shape == (4096,)
    assert model.language_model.config.num_key_value_heads == 2


def test_refuses_a_folder_that_is_not_empty_and_leaves_it_alone(tmp_path):
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "photo.jpg").write_bytes(b"keep me")
    with pytest.raises(SyntheticModelError) as raised:
        build_synthetic_model(target)
    assert isinstance(raised.value, UserError) and "not an empty folder" in str(raised.value)
    assert [p.name for p in target.iterdir()] == ["photo.jpg"]


def test_an_empty_existing_folder_is_filled(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    assert (build_synthetic_model(target) / "model.safetensors").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # no staging folder left behind


def test_a_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    from humanaes_desktop.engine.synthetic import builder

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(builder, "write_random_safetensors", disk_full)
    with pytest.raises(OSError):
        build_synthetic_model(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("preset", "dtype"), [("huge", "float16"), ("tiny", "int8")])
def test_unknown_preset_or_dtype_is_a_user_error(tmp_path, preset, dtype):
    with pytest.raises(SyntheticModelError, match="choose one of"):
        build_synthetic_model(tmp_path / "model", preset=preset, dtype=dtype)
    assert not (tmp_path / "model").exists()


def test_presets_are_tiny_and_full():
    assert set(PRESETS) == {"tiny", "full"}
