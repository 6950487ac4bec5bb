"""Build a synthetic, HumanAesExpert-compatible model folder (random weights, real file layout).

The folder holds the same 16 files as the real KlingTeam/HumanAesExpert-1B repository, plus a
`humanaes-manifest.sha256`. transformers loads it with `trust_remote_code` exactly as it loads
the real model. Its config carries a `humanaes_synthetic` marker: scores from it are meaningless
and every output that carries one must say so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import torch

from humanaes_desktop.engine.model.timm_stand_in import ensure_timm_droppath
from humanaes_desktop.engine.synthetic.presets import PRESETS, SyntheticPreset
from humanaes_desktop.engine.synthetic.templates import copy_templates
from humanaes_desktop.engine.synthetic.tokenizer_files import (
    BytePairVocabulary,
    corpus_texts,
    special_token_ids,
    train_byte_pair_vocabulary,
    write_tokenizer_files,
)
from humanaes_desktop.engine.synthetic.weights import DTYPES, tensor_specs, write_random_safetensors
from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

MANIFEST_NAME = "humanaes-manifest.sha256"
SYNTHETIC_NOTE = "random weights; scores are meaningless"
_AUTO_MAP = {
    "AutoConfig": "configuration_internvl_chat.InternVLChatConfig",
    "AutoModel": "modeling_internvl_chat.InternVLChatModel",
    "AutoModelForCausalLM": "modeling_internvl_chat.InternVLChatModel",
}


class SyntheticModelError(UserError):
    """A synthetic model cannot be built as asked (unknown preset or dtype, occupied folder)."""


def build_synthetic_model(
    out_dir: Path, preset: str = "tiny", seed: int = 0, dtype: str = "float16"
) -> Path:
    """Write a synthetic model folder at `out_dir` and return its path.

    The folder appears complete or not at all: it is assembled beside `out_dir` and renamed
    into place. `out_dir` must not exist or be an empty directory.
    """
    spec = _preset(preset)
    torch_dtype = _dtype(dtype)
    out_dir = Path(out_dir)
    _check_destination(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # mkdir (not mkdtemp) so the finished folder gets the user's usual permissions.
    staging = out_dir.parent / f".{out_dir.name}.partial-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        _write_folder(staging, spec, seed, torch_dtype)
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked above
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("built synthetic model %s (seed %d, %s) at %s", preset, seed, dtype, out_dir)
    return out_dir


def synthetic_config(preset: str = "tiny", seed: int = 0, dtype: str = "float16") -> dict[str, Any]:
    """The config.json contents of a synthetic build (no files written)."""
    spec = _preset(preset)
    bpe = train_byte_pair_vocabulary(corpus_texts())
    special_ids = special_token_ids(len(bpe.vocab), spec.real_special_token_ids)
    return _config_dict(spec, seed, _dtype(dtype), bpe, special_ids)


def meta_model(config: dict[str, Any]) -> torch.nn.Module:
    """The template model for `config`, instantiated on the meta device (allocates nothing)."""
    ensure_timm_droppath()
    from humanaes_desktop.engine.synthetic.model_code.configuration_internvl_chat import (
        InternVLChatConfig,
    )
    from humanaes_desktop.engine.synthetic.model_code.modeling_internvl_chat import (
        InternVLChatModel,
    )

    fields = {k: v for k, v in config.items() if k not in ("auto_map", "architectures")}
    with torch.device("meta"):
        return InternVLChatModel(InternVLChatConfig(**fields), use_flash_attn=False)


def _preset(name: str) -> SyntheticPreset:
    if name not in PRESETS:
        raise SyntheticModelError(
            f"Unknown synthetic model preset {name!r}; choose one of {', '.join(PRESETS)}."
        )
    return PRESETS[name]


def _dtype(name: str) -> torch.dtype:
    if name not in DTYPES:
        raise SyntheticModelError(
            f"Unknown weight type {name!r} for the synthetic model; choose one of {', '.join(DTYPES)}."
        )
    return DTYPES[name]


def _check_destination(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise SyntheticModelError(
            f"{out_dir} already exists and is not an empty folder; choose a new folder for the model."
        )


def _dtype_name(torch_dtype: torch.dtype) -> str:
    return next(name for name, value in DTYPES.items() if value == torch_dtype)


def _config_dict(
    spec: SyntheticPreset,
    seed: int,
    torch_dtype: torch.dtype,
    bpe: BytePairVocabulary,
    special_ids: dict[str, int],
) -> dict[str, Any]:
    llm = dict(spec.llm)
    if llm.get("vocab_size") is None:
        llm["vocab_size"] = max(special_ids.values()) + 1
    llm.update(
        bos_token_id=special_ids["<|endoftext|>"],
        eos_token_id=special_ids["<|im_end|>"],
        torch_dtype=_dtype_name(torch_dtype),
    )
    return {
        "architectures": ["InternVLChatModel"],
        "auto_map": dict(_AUTO_MAP),
        "model_type": "internvl_chat",
        "torch_dtype": _dtype_name(torch_dtype),
        "transformers_version": "4.44.2",
        "tie_word_embeddings": False,
        "vision_config": dict(spec.vision),
        "llm_config": llm,
        "select_layer": -1,
        "force_image_size": spec.vision["image_size"],
        "downsample_ratio": 0.5,
        "template": "Hermes-2",
        "dynamic_image_size": True,
        "use_thumbnail": True,
        "ps_version": "v2",
        "min_dynamic_patch": 1,
        "max_dynamic_patch": 12,
        "metavoter_hidden_size": spec.metavoter_hidden_size,
        "humanaes_synthetic": {"preset": spec.name, "seed": seed, "note": SYNTHETIC_NOTE},
    }


def _write_folder(folder: Path, spec: SyntheticPreset, seed: int, torch_dtype: torch.dtype) -> None:
    bpe = train_byte_pair_vocabulary(corpus_texts())
    special_ids = special_token_ids(len(bpe.vocab), spec.real_special_token_ids)
    config = _config_dict(spec, seed, torch_dtype, bpe, special_ids)
    copy_templates(folder)
    write_tokenizer_files(folder, bpe, special_ids)
    _write_json(folder / "config.json", config)
    _write_json(folder / "configuration.json", {})
    _write_json(
        folder / "generation_config.json",
        {
            "_from_model_config": True,
            "eos_token_id": [special_ids["<|im_end|>"], special_ids["<|endoftext|>"]],
            "transformers_version": "4.44.2",
        },
    )
    _write_json(
        folder / "preprocessor_config.json", _preprocessor_config(spec.vision["image_size"])
    )
    specs = tensor_specs(
        meta_model(config),
        std=spec.vision["initializer_range"],
        layer_scale=spec.vision["initializer_factor"],
    )
    metadata = {"humanaes_synthetic": json.dumps(config["humanaes_synthetic"])}
    write_random_safetensors(folder / "model.safetensors", specs, torch_dtype, seed, metadata)
    write_manifest(folder)


def _preprocessor_config(image_size: int) -> dict[str, Any]:
    return {
        "crop_size": image_size,
        "do_center_crop": True,
        "do_normalize": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
        "resample": 3,
        "size": image_size,
    }


def write_manifest(folder: Path) -> Path:
    """Write `humanaes-manifest.sha256` (sha256sum format) over every other file of `folder`."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_NAME):
        lines.append(f"{_sha256_file(path)}  {path.relative_to(folder).as_posix()}\n")
    manifest = folder / MANIFEST_NAME
    manifest.write_text("".join(lines), encoding="utf-8")
    return manifest


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
