"""Model setup: verified folders are accepted, unknown code needs an explicit yes, bad ones refused."""

from __future__ import annotations

import json
import os
import threading

import pytest

from humanaes_desktop.engine.store import manifest
from humanaes_desktop.settings import AppSettings
from humanaes_desktop.ui.dialogs import model_setup
from humanaes_desktop.ui.dialogs.model_setup import ModelSetupDialog


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    # verification records (trusted folders, weights stamps) go to the user data dir
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def unknown_folder(tmp_path):
    """A fine-tune-like folder: a config and its own Python code, matching no known manifest."""
    folder = tmp_path / "my-finetune"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "internvl_chat"}))
    (folder / "modeling_custom.py").write_text("print('this code would run at load time')\n")
    (folder / "model.safetensors").write_bytes(os.urandom(2048))
    return folder


@pytest.fixture
def answers(monkeypatch):
    """Replaces only the trust question box; records each question and answers from a list."""
    asked: list[str] = []
    replies: list[bool] = []

    def fake_question(parent, folder):
        asked.append(folder)
        return replies.pop(0)

    monkeypatch.setattr(model_setup, "ask_trust_unknown_folder", fake_question)
    return asked, replies


def _dialog(qtbot, tmp_path):
    settings = AppSettings.load(tmp_path / "settings.json")
    dialog = ModelSetupDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, settings


def test_unknown_folder_used_only_after_the_user_trusts_it(
    qtbot, tmp_path, unknown_folder, answers
):
    asked, replies = answers
    replies.append(True)
    dialog, settings = _dialog(qtbot, tmp_path)
    with qtbot.waitSignal(dialog.model_chosen, timeout=10_000) as chosen:
        dialog.choose_folder(str(unknown_folder))
    assert asked == [str(unknown_folder)]
    assert chosen.args == [str(unknown_folder)]
    saved = AppSettings.load(tmp_path / "settings.json")
    assert saved.model_dir == str(unknown_folder) and saved.model_trusted
    # the real verifier recorded the trust: the folder now passes without asking
    assert manifest.verify_model_folder(unknown_folder).kind == "trusted"


def test_declining_trust_leaves_settings_alone(qtbot, tmp_path, unknown_folder, answers):
    asked, replies = answers
    replies.append(False)
    dialog, settings = _dialog(qtbot, tmp_path)
    dialog.choose_folder(str(unknown_folder))
    qtbot.waitUntil(lambda: "not trusted" in dialog.message_label.text(), timeout=10_000)
    assert asked == [str(unknown_folder)]
    assert settings.model_dir is None
    assert not (tmp_path / "settings.json").exists()
    assert dialog.isVisible()  # the user can still download or pick another folder


def test_trusted_folder_that_changed_is_refused_with_the_reason(
    qtbot, tmp_path, unknown_folder, answers
):
    manifest.verify_model_folder(unknown_folder, trust_unknown=True)
    (unknown_folder / "modeling_custom.py").write_text("print('swapped code')\n")
    dialog, settings = _dialog(qtbot, tmp_path)
    dialog.choose_folder(str(unknown_folder))
    qtbot.waitUntil(lambda: dialog.message_label.text().startswith("Refused"), timeout=10_000)
    assert "modeling_custom.py" in dialog.message_label.text()
    assert answers[0] == []  # a changed trusted folder is never offered for trust again
    assert settings.model_dir is None


def test_missing_folder_is_refused_with_what_to_do(qtbot, tmp_path, answers):
    dialog, settings = _dialog(qtbot, tmp_path)
    dialog.choose_folder(str(tmp_path / "nowhere"))
    qtbot.waitUntil(lambda: dialog.message_label.text().startswith("Refused"), timeout=10_000)
    assert "does not exist" in dialog.message_label.text()
    assert settings.model_dir is None and answers[0] == []


def test_synthetic_model_is_accepted_without_a_question(qtbot, tmp_path, tiny_model_dir, answers):
    dialog, settings = _dialog(qtbot, tmp_path)
    with qtbot.waitSignal(dialog.model_chosen, timeout=30_000):
        dialog.choose_folder(str(tiny_model_dir))
    assert answers[0] == []
    assert settings.model_dir == str(tiny_model_dir) and not settings.model_trusted
    assert "SYNTHETIC" in dialog.message_label.text()


def test_closing_while_checking_waits_for_the_check(
    qtbot, tmp_path, unknown_folder, answers, monkeypatch
):
    started, release = threading.Event(), threading.Event()
    real_verify = model_setup.verify_model_folder

    def slow_verify(folder, **kwargs):  # the real check, held until the test lets it go
        started.set()
        release.wait(10)
        return real_verify(folder, **kwargs)

    monkeypatch.setattr(model_setup, "verify_model_folder", slow_verify)
    answers[1].append(False)
    dialog, settings = _dialog(qtbot, tmp_path)
    dialog.choose_folder(str(unknown_folder))
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert not dialog.folder_button.isEnabled() and dialog.busy_bar.isVisible()
    dialog.reject()
    assert dialog.isVisible() and "Still checking" in dialog.message_label.text()
    release.set()
    qtbot.waitUntil(lambda: "not trusted" in dialog.message_label.text(), timeout=10_000)
    dialog.reject()
    assert not dialog.isVisible()
