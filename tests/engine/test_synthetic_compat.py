"""The timm DropPath stand-in: installed only when timm cannot be imported, never over a real one."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from humanaes_desktop.engine.model import timm_stand_in


def _timm_modules() -> dict:
    return {n: m for n, m in sys.modules.items() if n == "timm" or n.startswith("timm.")}


@pytest.fixture
def clean_timm(monkeypatch):
    """Run with no timm imported, then put sys.modules back as it was."""
    saved = _timm_modules()
    for name in saved:
        del sys.modules[name]
    importlib.invalidate_caches()
    yield
    for name in _timm_modules():
        del sys.modules[name]
    sys.modules.update(saved)


class _BlockTimm:
    """A meta-path finder that makes `import timm` fail even where a real timm is installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "timm" or name.startswith("timm."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None


def _write_fake_timm(root, layers_source: str) -> None:
    package = root / "timm"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models" / "__init__.py").write_text("")
    (package / "models" / "layers.py").write_text(textwrap.dedent(layers_source))


def test_stand_in_is_installed_when_timm_is_missing(clean_timm, monkeypatch):
    monkeypatch.setattr(sys, "meta_path", [_BlockTimm(), *sys.meta_path])
    assert timm_stand_in.ensure_timm_droppath() is True
    from timm.models.layers import DropPath

    assert DropPath is timm_stand_in.DropPath
    # transformers probes find_spec("timm") at import time; it must not crash on the stand-in.
    assert importlib.util.find_spec("timm") is not None
    assert timm_stand_in.ensure_timm_droppath() is True  # recognises its own stand-in


def test_real_timm_is_left_alone(clean_timm, monkeypatch, tmp_path):
    _write_fake_timm(
        tmp_path,
        """
        import torch
        class DropPath(torch.nn.Module):
            REAL = True
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert timm_stand_in.ensure_timm_droppath() is False
    from timm.models.layers import DropPath

    assert getattr(DropPath, "REAL", False) is True


def test_broken_timm_is_replaced_by_the_stand_in(clean_timm, monkeypatch, tmp_path):
    _write_fake_timm(tmp_path, "raise RuntimeError('operator torchvision::nms does not exist')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert timm_stand_in.ensure_timm_droppath() is True
    from timm.models.layers import DropPath

    assert DropPath is timm_stand_in.DropPath


def test_droppath_is_identity_at_inference():
    layer = timm_stand_in.DropPath(0.5).eval()
    x = torch.randn(64, 10, 8)
    assert torch.equal(layer(x), x)
    assert list(layer.parameters()) == []  # checkpoints load the same with either class


def test_droppath_drops_whole_samples_in_training():
    torch.manual_seed(0)
    layer = timm_stand_in.DropPath(0.5).train()
    out = layer(torch.ones(2000, 3, 4))
    per_sample = out.flatten(1)
    kept = per_sample[:, 0] != 0
    assert torch.all(per_sample[kept] == 2.0)  # survivors rescaled by 1 / keep_prob
    assert torch.all(per_sample[~kept] == 0.0)
    assert 0.4 < kept.float().mean().item() < 0.6


def test_model_code_needs_the_stand_in_and_loads_with_it(tiny_model_dir):
    """In a fresh interpreter: without the stand-in transformers refuses the model's code."""
    script = textwrap.dedent(
        f"""
        import sys, torch
        from transformers import AutoModel
        def load():
            return AutoModel.from_pretrained({str(tiny_model_dir)!r}, torch_dtype=torch.float32,
                low_cpu_mem_usage=True, trust_remote_code=True, use_flash_attn=False)
        try:
            import timm.models.layers
            has_timm = True
        except Exception:
            has_timm = False
        if not has_timm:
            try:
                load()
                sys.exit("loaded without timm and without the stand-in")
            except ImportError as error:
                assert "timm" in str(error), error
        from humanaes_desktop.engine.model.timm_stand_in import ensure_timm_droppath
        assert ensure_timm_droppath() is (not has_timm)
        model = load().eval()
        with torch.no_grad():
            assert model.extract_feature(torch.zeros(1, 3, 448, 448)).shape[1] == 256
        print("ok")
        """
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
