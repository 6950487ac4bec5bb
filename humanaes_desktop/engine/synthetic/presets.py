"""Sizes of the synthetic models: "tiny" for tests, "full" = the exact InternVL2-1B shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SyntheticPreset:
    """One synthetic model size. `llm["vocab_size"]` of None means: fit the built tokenizer."""

    name: str
    summary: str
    vision: dict[str, Any] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    metavoter_hidden_size: int = 16
    # True: special tokens at the real InternVL2-1B ids (151643..151654) in a 151655-row vocab.
    real_special_token_ids: bool = False


_QWEN2_COMMON: dict[str, Any] = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "tie_word_embeddings": False,
    "use_cache": True,
    "use_sliding_window": False,
    "attention_dropout": 0.0,
    "initializer_range": 0.02,
}

_VISION_COMMON: dict[str, Any] = {
    "architectures": ["InternVisionModel"],
    "num_channels": 3,
    "patch_size": 14,
    "image_size": 448,
    "qkv_bias": True,
    "hidden_act": "gelu",
    "norm_type": "layer_norm",
    "layer_norm_eps": 1e-6,
    "drop_path_rate": 0.0,
    "initializer_range": 0.02,
    "initializer_factor": 0.1,
}

PRESETS: dict[str, SyntheticPreset] = {
    "tiny": SyntheticPreset(
        name="tiny",
        summary="seconds to build and load; real 448-px tiles and prompt layout, narrow layers",
        vision={
            **_VISION_COMMON,
            "hidden_size": 32,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
        },
        llm={
            **_QWEN2_COMMON,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 8192,
            "vocab_size": None,
        },
        metavoter_hidden_size=8,
    ),
    "full": SyntheticPreset(
        name="full",
        summary="the InternVL2-1B shapes (~938 M parameters) for benchmarks",
        vision={
            **_VISION_COMMON,
            "hidden_size": 1024,
            "num_attention_heads": 16,
            "intermediate_size": 4096,
            "num_hidden_layers": 24,
        },
        llm={
            **_QWEN2_COMMON,
            "hidden_size": 896,
            "intermediate_size": 4864,
            "num_hidden_layers": 24,
            "num_attention_heads": 14,
            "num_key_value_heads": 2,
            "max_position_embeddings": 32768,
            "sliding_window": 32768,
            "max_window_layers": 24,
            "vocab_size": 151655,
        },
        metavoter_hidden_size=16,
        real_special_token_ids=True,
    ),
}
