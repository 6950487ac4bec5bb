"""`humanaes model synth|verify|list|forget|download` from the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.engine.store.manifest import verify_model_folder


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_synth_builds_a_folder_the_verifier_accepts(capsys, tmp_path):
    out_dir = tmp_path / "synthetic-tiny"
    code, out, err = run(capsys, "model", "synth", "--preset", "tiny", "--out", str(out_dir))
    assert code == 0
    assert out.strip() == str(out_dir)
    assert "SYNTHETIC" in err
    verified = verify_model_folder(out_dir)
    assert verified.kind == "synthetic" and verified.identity.synthetic


def test_verify_reports_a_synthetic_model(capsys, tiny_model_dir):
    code, out, _ = run(capsys, "model", "verify", str(tiny_model_dir))
    assert code == 0
    assert "verified (synthetic" in out and "SYNTHETIC" in out
    assert "model.safetensors" not in out  # nothing refused


def test_verify_names_the_tampered_file(capsys, tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")
    (copy / "vocab.json").write_bytes((copy / "vocab.json").read_bytes() + b" ")
    code, out, err = run(capsys, "model", "verify", str(copy))
    assert code == 2 and out == ""
    assert "vocab.json" in err and len(err.strip().splitlines()) == 1


def test_list_shows_installed_models_and_unfinished_downloads(capsys, tiny_model_dir, tmp_path):
    models = tmp_path / "data" / "models"
    shutil.copytree(tiny_model_dir, models / "tiny")
    (models / ".HumanAesExpert-1B@b8f7ee3f3a12.partial").mkdir()
    code, out, _ = run(capsys, "model", "list")
    assert code == 0
    assert "tiny: ok, synthetic: synthetic/tiny" in out
    assert "unfinished download" in out


def test_trust_then_forget(capsys, tmp_path):
    folder = tmp_path / "finetune"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    code, _, err = run(capsys, "model", "verify", str(folder))
    assert code == 2 and "--trust-model-folder" in err
    code, out, _ = run(capsys, "model", "verify", str(folder), "--trust-model-folder")
    assert code == 0 and "verified (trusted" in out
    code, out, _ = run(capsys, "model", "forget", str(folder))
    assert code == 0 and "forgot" in out
    code, _, _ = run(capsys, "model", "verify", str(folder))
    assert code == 2


def test_download_without_reachable_hub_is_a_clear_error(tmp_path):
    # HF_ENDPOINT points at a closed loopback port: no network is touched.
    env = {
        **os.environ,
        "HUMANAES_DATA_DIR": str(tmp_path / "data"),
        "HF_ENDPOINT": "http://127.0.0.1:9",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "humanaes_desktop",
            "model",
            "download",
            "--dest",
            str(tmp_path / "m"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "no internet connection" in proc.stderr and "humanaes model verify" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "m").exists()
