"""`humanaes model check PHOTO`: the engine's scores next to the plain reference calls."""

from __future__ import annotations

import re

import pytest
import torch.nn.functional as F

from humanaes_desktop.cli import main
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS

REAL_SDPA = F.scaled_dot_product_attention


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def check(capsys, model, photo, *extra: str) -> tuple[int, str]:
    argv = ["model", "check", str(photo), "--model", str(model), "--max-tiles", "2"]
    code = main([*argv, "--dtype", "fp32", "--threads", "1", *extra])
    out, _err = capsys.readouterr()
    return code, out


def _differences(out: str) -> dict[str, float]:
    rows = re.findall(r"^(\S.*?)\s+(\d\.\d{5})\s+(\d\.\d{5})\s+(\S+)$", out, re.M)
    return {name: float(diff) for name, _engine, _reference, diff in rows}


def test_check_prints_every_field_counters_backend_dtype_and_timings(
    capsys, tiny_model_dir, sample_photos_dir
):
    code, out = check(capsys, tiny_model_dir, sample_photos_dir / "chelsea.png")
    assert code == 0
    differences = _differences(out)
    assert set(differences) == {"overall (MetaVoter)", "fast score", *DIMENSION_KEYS}
    assert max(differences.values()) < 1e-4
    assert "within the tolerance 0.001" in out
    assert "attention  vision: sdpa on 2 modules" in out
    assert "attention  language: sdpa on 2 modules" in out
    assert "reuse      vision 4 calls -> 1 computed" in out
    assert "dtype      fp32 (chosen explicitly)" in out
    assert re.search(r"timings    assess\(\) \d+\.\d\d s \(vision", out)
    assert "verdict    attention_language: ok" in out
    assert "SYNTHETIC" in out


def test_check_fails_and_says_why_when_the_kernel_is_wrong(
    capsys, tiny_model_dir, sample_photos_dir, monkeypatch
):
    def ignores_causality(query, key, value, *args, is_causal=False, **kwargs):
        return REAL_SDPA(query, key, value, *args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", ignores_causality)
    code, out = check(capsys, tiny_model_dir, sample_photos_dir / "chelsea.png")
    # The self-check caught the wrong language kernel, so the scores still match...
    assert code == 0 and "within the tolerance" in out
    # ...and the report says the swap is off and why.
    assert re.search(r"attention  language: eager \(self-check: language SDPA DIFFERS", out)
    assert "verdict    attention_language: FAILED" in out


def test_check_of_a_missing_photo_is_a_clear_error(capsys, tiny_model_dir, tmp_path):
    code = main(["model", "check", str(tmp_path / "nope.jpg"), "--model", str(tiny_model_dir)])
    _out, err = capsys.readouterr()
    assert code == 2 and "nope.jpg" in err and "Traceback" not in err
