"""Test harness: offscreen Qt, offline hub, the sample photos. Set before anything imports Qt or transformers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `--dtype auto` on CPU measures bf16 against fp32; tests pin it, so a machine's load cannot
# flip their precision (the measurement itself is tested in tests/engine/test_dtype_probe.py).
os.environ.setdefault("HUMANAES_CPU_DTYPE", "fp32")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.support.photos import PHOTOS_DIR  # noqa: E402


@pytest.fixture(scope="session")
def sample_photos_dir() -> Path:
    """The public-domain sample photos that ship with the repository (tests/data/photos)."""
    return PHOTOS_DIR


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny synthetic HumanAesExpert-compatible model folder (seed 0), built once per session.

    Shared by every test: treat it as read-only (copy it before tampering with its files).
    """
    from humanaes_desktop.engine.synthetic import build_synthetic_model

    parent = tmp_path_factory.mktemp("synthetic_models")
    return build_synthetic_model(parent / "tiny_seed0", preset="tiny", seed=0)


@pytest.fixture(scope="session", autouse=True)
def _user_data_outside_home(tmp_path_factory: pytest.TempPathFactory):
    """Records the engine keeps (verified weights, self-check verdicts, dtype measurements) go
    to a session folder, never the developer's own data dir; tests may point elsewhere."""
    if os.environ.get("HUMANAES_DATA_DIR"):
        yield
        return
    os.environ["HUMANAES_DATA_DIR"] = str(tmp_path_factory.mktemp("user_data"))
    yield
    os.environ.pop("HUMANAES_DATA_DIR", None)


@pytest.fixture(scope="session")
def generated_shoot(tmp_path_factory: pytest.TempPathFactory):
    """A generated shoot (tests.support.shoot): bursts, brackets, flat frames, a drifting chain,
    a group photo, photos without faces or EXIF. Built once per session; treat as read-only."""
    from tests.support.shoot import build_shoot

    return build_shoot(tmp_path_factory.mktemp("shoot"))


@pytest.fixture(scope="session")
def shoot_signals(generated_shoot) -> dict:
    """First-pass signals of every photo of the generated shoot, by path."""
    from humanaes_desktop.engine.culling.faces import HaarFaceBackend
    from humanaes_desktop.engine.culling.signals import first_pass

    backend = HaarFaceBackend()
    return {path: first_pass(path, backend) for path in generated_shoot.all()}
