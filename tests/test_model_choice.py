"""One rule picks the model folder for `score`, `watch` and the app."""

from __future__ import annotations

import json

import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.model_choice import (
    ModelChoice,
    NoModelChosenError,
    resolve_model_folder,
)
from humanaes_desktop.paths import models_dir
from humanaes_desktop.settings import AppSettings


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def test_the_command_line_wins_then_the_settings_then_the_one_installed(tmp_path) -> None:
    (models_dir() / "HumanAesExpert-1B@b8f7ee3f3a12").mkdir()
    installed = models_dir() / "HumanAesExpert-1B@b8f7ee3f3a12"
    assert resolve_model_folder(None, AppSettings()) == ModelChoice(installed, False)
    chosen = tmp_path / "fine-tune"
    settings = AppSettings(model_dir=str(chosen), model_trusted=True)
    assert resolve_model_folder(None, settings) == ModelChoice(chosen, True)
    explicit = tmp_path / "given"
    assert resolve_model_folder(explicit, settings) == (
        ModelChoice(explicit, False)  # the settings' trust is for the settings' folder only
    )


def test_no_model_and_several_models_are_errors_that_say_what_to_do() -> None:
    with pytest.raises(NoModelChosenError, match="humanaes model download"):
        resolve_model_folder(None)
    for name in ("b-model", "a-model"):
        (models_dir() / name).mkdir()
    with pytest.raises(NoModelChosenError, match=r"several models .*a-model, b-model.*--model"):
        resolve_model_folder(None)


def test_score_uses_the_model_chosen_in_the_app(capsys, tiny_model_dir, sample_photos_dir):
    AppSettings(model_dir=str(tiny_model_dir)).save()
    assert main(["score", str(sample_photos_dir / "camera.png"), "--max-tiles", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["model"]["synthetic"] is True


def test_model_check_uses_the_model_chosen_in_the_app(capsys, tiny_model_dir, sample_photos_dir):
    AppSettings(model_dir=str(tiny_model_dir)).save()
    photo = str(sample_photos_dir / "camera.png")
    assert main(["model", "check", photo, "--max-tiles", "1", "--dtype", "fp32"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "within the tolerance" in out


def test_model_check_without_any_model_says_how_to_get_one(capsys, sample_photos_dir):
    assert main(["model", "check", str(sample_photos_dir / "camera.png")]) == 2
    assert "humanaes model download" in capsys.readouterr().err
