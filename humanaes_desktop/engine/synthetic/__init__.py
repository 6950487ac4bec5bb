"""Synthetic HumanAesExpert-compatible models: random weights, the real files and code paths.

`build_synthetic_model(out_dir, preset="tiny", seed=0, dtype="float16")` writes a model folder
that transformers loads with trust_remote_code exactly like the real HumanAesExpert-1B.
`template_hashes()` gives the SHA-256 of the model-code files every build copies verbatim.
"""

from __future__ import annotations

from humanaes_desktop.engine.synthetic.builder import (
    MANIFEST_NAME,
    SYNTHETIC_NOTE,
    SyntheticModelError,
    build_synthetic_model,
    meta_model,
    synthetic_config,
    write_manifest,
)
from humanaes_desktop.engine.synthetic.presets import PRESETS, SyntheticPreset
from humanaes_desktop.engine.synthetic.templates import TEMPLATE_FILES, template_hashes

__all__ = [
    "MANIFEST_NAME",
    "PRESETS",
    "SYNTHETIC_NOTE",
    "TEMPLATE_FILES",
    "SyntheticModelError",
    "SyntheticPreset",
    "build_synthetic_model",
    "meta_model",
    "synthetic_config",
    "template_hashes",
    "write_manifest",
]
