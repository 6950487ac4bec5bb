"""Two model folders with the same name in one process: each runs its own verified code.

transformers imports a local folder's code as `transformers_modules.<folder name>` and, on a
second load under that name, re-runs only the module `auto_map` names; what that module imports
came from `sys.modules`, i.e. from the first folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from humanaes_desktop.engine.model.adapter import HumanAesExpert
from humanaes_desktop.engine.store.manifest import SYNTHETIC_MARKER

MARKER = "HUMANAES_TEST_CODE_VARIANT"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def twin_name():
    """A folder name no other test (or engineer) uses: transformers' module cache is shared."""
    from transformers.utils import HF_MODULES_CACHE

    name = f"twin_{os.getpid()}_{time.monotonic_ns()}"
    yield name
    shutil.rmtree(Path(HF_MODULES_CACHE) / "transformers_modules" / name, ignore_errors=True)


def _fine_tune(source: Path, target: Path, variant: str) -> Path:
    """A copy of the synthetic model whose vision code differs (so it must be trusted)."""
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    config.pop(SYNTHETIC_MARKER)
    (target / "config.json").write_text(json.dumps(config))
    (target / "humanaes-manifest.sha256").unlink()
    with open(target / "modeling_intern_vit.py", "a", encoding="utf-8") as code:
        code.write(f"\n{MARKER} = {variant!r}\n")
    return target


def _vision_code(engine: HumanAesExpert):
    return sys.modules[type(engine.model.vision_model).__module__]


def test_the_second_same_named_folder_runs_its_own_code(tmp_path, tiny_model_dir, twin_name):
    official = tmp_path / "official" / twin_name
    shutil.copytree(tiny_model_dir, official)
    tuned = _fine_tune(tiny_model_dir, tmp_path / "fine-tunes" / twin_name, "tuned")

    first = HumanAesExpert.load(official, device="cpu", threads=1)
    assert not hasattr(_vision_code(first), MARKER)
    second = HumanAesExpert.load(tuned, device="cpu", threads=1, trust_unknown=True)
    assert getattr(_vision_code(second), MARKER, None) == "tuned"  # its own file ran
    assert second.identity.synthetic is False and first.identity.synthetic is True

    again = HumanAesExpert.load(official, device="cpu", threads=1)
    assert not hasattr(_vision_code(again), MARKER)  # and back: the verified original
    # The model loaded first still works with the code it was built from.
    assert not hasattr(sys.modules[type(first.model.vision_model).__module__], MARKER)
    # Each has its own code's attention swapped for SDPA (the swap finds the classes by their
    # own module, not by the name the next folder took over).
    assert [e.attention_backend for e in (first, second, again)] == ["sdpa"] * 3


def test_loading_the_same_folder_twice_keeps_its_modules(tiny_model_dir, tmp_path, twin_name):
    folder = tmp_path / twin_name
    shutil.copytree(tiny_model_dir, folder)
    first = HumanAesExpert.load(folder, device="cpu", threads=1)
    second = HumanAesExpert.load(folder, device="cpu", threads=1)
    assert type(first.model.vision_model) is type(second.model.vision_model)
