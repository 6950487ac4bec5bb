"""Settings dialog: OK saves every choice, Cancel changes nothing, the model section works."""

from __future__ import annotations

import pytest

from humanaes_desktop.settings import AppSettings
from humanaes_desktop.ui.dialogs.settings import SettingsDialog


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def _select(combo, value):
    combo.setCurrentIndex(combo.findData(value))


def _open(qtbot, settings):
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_dialog_starts_from_the_saved_choices(qtbot, tmp_path):
    AppSettings(device="cpu", dtype="bf16", max_tiles=4, annotation="off", fast_decode=True).save(
        tmp_path / "s.json"
    )
    dialog = _open(qtbot, AppSettings.load(tmp_path / "s.json"))
    assert dialog.device_combo.currentData() == "cpu"
    assert dialog.dtype_combo.currentData() == "bf16"
    assert dialog.tiles_spin.value() == 4
    assert dialog.annotation_combo.currentData() == "off"
    assert dialog.fast_decode_check.isChecked()


def test_ok_saves_every_choice(qtbot, tmp_path):
    path = tmp_path / "s.json"
    settings = AppSettings.load(path)
    dialog = _open(qtbot, settings)
    _select(dialog.device_combo, "cuda")
    _select(dialog.dtype_combo, "fp16")
    dialog.tiles_spin.setValue(6)
    _select(dialog.profile_mode_combo, "quick")
    _select(dialog.annotation_combo, "on")
    dialog.fast_decode_check.setChecked(True)
    dialog.ok_button.click()
    assert not dialog.isVisible()
    expected = dict(
        device="cuda",
        dtype="fp16",
        max_tiles=6,
        profile_mode="quick",
        annotation="on",
        fast_decode=True,
    )
    for obj in (settings, AppSettings.load(path)):  # the caller's object and the file
        assert {k: getattr(obj, k) for k in expected} == expected


def test_cancel_changes_nothing(qtbot, tmp_path):
    path = tmp_path / "s.json"
    settings = AppSettings.load(path)
    dialog = _open(qtbot, settings)
    _select(dialog.device_combo, "mps")
    dialog.tiles_spin.setValue(1)
    dialog.reject()
    assert settings == AppSettings() and not path.exists()


def test_max_tiles_cannot_leave_its_range(qtbot, tmp_path):
    dialog = _open(qtbot, AppSettings.load(tmp_path / "s.json"))
    dialog.tiles_spin.setValue(40)
    assert dialog.tiles_spin.value() == 12
    dialog.tiles_spin.setValue(0)
    assert dialog.tiles_spin.value() == 1


def test_model_chosen_in_setup_is_saved_only_with_ok(qtbot, tmp_path, tiny_model_dir):
    path = tmp_path / "s.json"
    settings = AppSettings.load(path)
    dialog = _open(qtbot, settings)
    setup = dialog.open_model_setup()
    with qtbot.waitSignal(setup.model_chosen, timeout=30_000):
        setup.choose_folder(str(tiny_model_dir))
    assert str(tiny_model_dir) in dialog.model_label.text()
    assert not path.exists() and settings.model_dir is None  # nothing saved behind the user's back
    dialog.ok_button.click()
    assert AppSettings.load(path).model_dir == str(tiny_model_dir)
    assert settings.model_dir == str(tiny_model_dir)


def test_unwritable_settings_folder_keeps_the_dialog_open_with_the_reason(qtbot, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    dialog = _open(qtbot, AppSettings(path=blocker / "s.json"))
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert "Could not save" in dialog.error_label.text()


def test_model_given_on_the_command_line_is_shown_as_in_use(qtbot, tmp_path):
    from humanaes_desktop.settings import AppSettings
    from humanaes_desktop.ui.dialogs.settings import SettingsDialog

    dialog = SettingsDialog(
        AppSettings(path=tmp_path / "s.json"), in_use="/models/tiny", from_command_line=True
    )
    qtbot.addWidget(dialog)
    text = dialog.model_label.text()
    assert "/models/tiny" in text and "--model" in text
    assert "No model" not in text  # a model is scoring: never say there is none


def test_scoring_passes_start_automatic_and_each_choice_says_what_it_costs(qtbot, tmp_path):
    dialog = _open(qtbot, AppSettings.load(tmp_path / "s.json"))
    assert dialog.profile_mode_combo.currentData() == "auto"
    assert "quick first on a CPU" in dialog.profile_mode_combo.currentText()
    notes = {}
    for value in ("auto", "quick_first", "full", "quick"):
        _select(dialog.profile_mode_combo, value)
        notes[value] = dialog.profile_mode_note.text()
    assert len(set(notes.values())) == 4 and all(
        "tenth" in n or "ten times" in n for n in notes.values()
    )
    assert "never upgraded" in notes["quick"] and "best photos first" in notes["quick_first"]


def test_precision_note_shows_what_was_measured_on_this_cpu(qtbot, tmp_path):
    from humanaes_desktop.engine.model import dtype_choice

    dialog = _open(qtbot, AppSettings.load(tmp_path / "s.json"))
    assert "measures bf16 against fp32" in dialog.precision_note.text()
    dtype_choice.remember(fp32_gflops=160.0, bf16_gflops=412.0, threads=2)
    dialog = _open(qtbot, AppSettings.load(tmp_path / "s.json"))
    text = dialog.precision_note.text()
    assert "bf16 412 GFLOP/s, fp32 160 GFLOP/s (2.6×)" in text
    assert text.endswith("so Automatic uses bf16 on CPU.")
