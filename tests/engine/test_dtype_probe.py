"""`--dtype auto` on CPU: measured once per CPU model and torch version, then remembered."""

from __future__ import annotations

import json
import logging

import pytest

from humanaes_desktop.engine.model import dtype_choice, gemm_probe
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from humanaes_desktop.engine.model.placement import choose_dtype


@pytest.fixture
def measured(tmp_path, monkeypatch):
    """A user data dir of its own, no override, and a probe that reports the rates we set."""
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(dtype_choice.OVERRIDE_ENV, raising=False)
    calls = []
    rates = {"fp32": 100.0, "bf16": 250.0}

    def probe(*args, **kwargs):
        calls.append(args)
        return dict(rates)

    monkeypatch.setattr(gemm_probe, "gemm_rates", probe)
    return rates, calls


def test_the_probe_measures_both_dtypes():
    rates = gemm_probe.gemm_rates(shapes=[(16, 64, 64)], budget_s=0.01)
    assert set(rates) == {"fp32", "bf16"} and all(rate > 0 for rate in rates.values())


def test_bf16_is_chosen_only_where_it_is_clearly_faster():
    assert dtype_choice.choose(100.0, 250.0) == "bf16"
    assert dtype_choice.choose(100.0, 150.0) == "bf16"
    assert dtype_choice.choose(100.0, 149.0) == "fp32"
    assert dtype_choice.choose(100.0, 18.0) == "fp32"  # AVX2-only CPUs emulate bf16


def test_auto_measures_once_and_then_trusts_the_record(measured, tmp_path):
    rates, calls = measured
    dtype, note = choose_dtype("auto", "cpu")
    assert dtype == "bf16" and "measured bf16 250 GFLOP/s vs fp32 100 GFLOP/s (2.50x)" in note
    rates["bf16"] = 10.0  # a second measurement would now say fp32
    assert choose_dtype("auto", "cpu")[0] == "bf16"
    assert len(calls) == 1
    record = json.loads((tmp_path / "data" / dtype_choice.RECORD).read_text())
    (entry,) = record.values()
    assert entry["dtype"] == "bf16" and entry["cpu"] == dtype_choice.cpu_model()


@pytest.mark.parametrize("change", ["cpu_model", "torch_version"])
def test_a_new_cpu_or_torch_is_measured_again(measured, monkeypatch, change):
    rates, calls = measured
    assert choose_dtype("auto", "cpu")[0] == "bf16"
    rates["bf16"] = 40.0
    monkeypatch.setattr(dtype_choice, change, lambda: "something else")
    assert choose_dtype("auto", "cpu")[0] == "fp32"
    assert len(calls) == 2


def test_a_damaged_record_means_measure_again(measured, tmp_path):
    _rates, calls = measured
    (tmp_path / "data").mkdir(parents=True)
    (tmp_path / "data" / dtype_choice.RECORD).write_text("{not json")
    assert choose_dtype("auto", "cpu")[0] == "bf16"
    assert len(calls) == 1


def test_the_environment_can_fix_the_choice(measured, monkeypatch):
    _rates, calls = measured
    monkeypatch.setenv(dtype_choice.OVERRIDE_ENV, "fp32")
    assert choose_dtype("auto", "cpu") == ("fp32", "fp32 (auto: set by HUMANAES_CPU_DTYPE)")
    assert calls == []


def test_a_gpu_keeps_fp16_without_measuring(measured):
    _rates, calls = measured
    assert choose_dtype("auto", "cuda")[0] == "fp16" and calls == []


def test_explicit_bf16_warns_where_it_was_measured_slower(measured, caplog):
    rates, _calls = measured
    rates["bf16"] = 20.0
    assert choose_dtype("auto", "cpu")[0] == "fp32"
    with caplog.at_level(logging.WARNING):
        assert choose_dtype("bf16", "cpu")[0] == "bf16"
    assert "bf16 was measured slower than fp32 on this CPU" in caplog.text


def test_a_loaded_model_says_which_dtype_and_why(measured, tiny_model_dir):
    engine = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1)
    assert engine.dtype == "bf16"
    assert engine.dtype_note.startswith("bf16 (auto: measured bf16 250 GFLOP/s")
    assert str(next(engine.model.language_model.parameters()).dtype) == "torch.bfloat16"
