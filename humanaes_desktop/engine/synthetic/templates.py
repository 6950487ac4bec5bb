"""The synthetic model's Python files: copied byte for byte into every model folder."""

from __future__ import annotations

import hashlib
import shutil
from importlib import resources
from pathlib import Path

# The model folder's code files, as in the real HumanAesExpert-1B repository.
TEMPLATE_FILES: tuple[str, ...] = (
    "configuration_intern_vit.py",
    "configuration_internvl_chat.py",
    "conversation.py",
    "modeling_intern_vit.py",
    "modeling_internvl_chat.py",
    "modeling_qwen.py",
)


def _template_bytes(name: str) -> bytes:
    return (resources.files(__package__) / "model_code" / name).read_bytes()


def template_hashes() -> dict[str, str]:
    """SHA-256 of each shipped model-code template: file name -> hex digest."""
    return {name: hashlib.sha256(_template_bytes(name)).hexdigest() for name in TEMPLATE_FILES}


def copy_templates(out_dir: Path) -> None:
    """Write the templates into `out_dir` unchanged."""
    for name in TEMPLATE_FILES:
        with resources.as_file(resources.files(__package__) / "model_code" / name) as src:
            shutil.copyfile(src, out_dir / name)
