"""`humanaes-desktop --self-test` (unfrozen here; tests/packaging/test_bundle.py runs it frozen)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PREFIX = "humanaes-desktop self-test:"


def self_test(tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, HUMANAES_DATA_DIR=str(tmp_path / "data"), **env)
    environment.pop("QT_QPA_PLATFORM", None)  # the self-test chooses offscreen by itself
    return subprocess.run(
        [sys.executable, "-m", "humanaes_desktop.app", "--self-test"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def fields(line: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in line.split() if "=" in item)


@pytest.mark.slow
def test_self_test_scores_the_sample_photo_and_says_ok_in_one_line(tmp_path):
    result = self_test(tmp_path, HF_MODULES_CACHE=str(tmp_path / "modules"))
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = result.stdout.splitlines()  # exactly one line for scripts
    assert line.startswith(f"{PREFIX} OK ")
    facts = fields(line)
    assert facts["frozen"] == "no"
    assert facts["model"] == "synthetic/tiny"
    assert 0.0 <= float(facts["overall"]) <= 1.0
    assert facts["dimensions"] == "12"
    assert facts["timm"] in {"stand-in", "ok"}
    assert facts["qpa"] == "offscreen"
    # trust_remote_code ran the model's code from transformers' module cache
    assert facts["class"].startswith("transformers_modules.humanaes_self_test.")
    assert facts["modules_cache"] == str(tmp_path / "modules")
    assert (tmp_path / "modules" / "transformers_modules" / "humanaes_self_test").is_dir()
    # nothing of the run stays in the user's data folder (it worked in a temporary one)
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_a_missing_model_import_fails_the_imports_stage_by_name(tmp_path):
    # As in a bundle built without einops: the model's code could not be imported.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "einops.py").write_text("raise ImportError('einops left out of this build')\n")
    result = self_test(tmp_path, PYTHONPATH=str(shadow))
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{PREFIX} FAILED stage=imports: ")
    assert "einops left out of this build" in line
