"""The Sidecars settings box and the non-blocking sync-conflicts window, as real widgets."""

from __future__ import annotations

from humanaes_desktop.library.xmp.records import Conflict, XmpSettings
from humanaes_desktop.ui.dialogs.sidecar_settings import SidecarSettingsBox
from humanaes_desktop.ui.dialogs.sync_conflicts import (
    SyncConflictsDialog,
    conflict_count_text,
    describe_value,
)


def _conflict(image_id: int, field: str, app: str, file: str) -> Conflict:
    return Conflict(
        image_id,
        f"/photos/IMG_{image_id}.CR2",
        field,
        app,
        file,
        f"/photos/IMG_{image_id}.CR2.xmp",
        1_700_000_000.0,
        1_600_000_000.0,
    )


def test_the_settings_box_edits_a_copy_and_says_lightroom_ignores_jpeg_sidecars(qtbot):
    box = SidecarSettingsBox(XmpSettings(conflict_policy="newest"))
    qtbot.addWidget(box)
    assert box.enabled.isChecked() and not box.write_scores.isChecked()
    assert not box.write_synthetic.isEnabled()  # only meaningful with scores on
    box.write_scores.setChecked(True)
    assert box.write_synthetic.isEnabled()
    box.naming.setCurrentIndex(box.naming.findData("name.xmp"))
    box.reject_as_minus_one.setChecked(False)
    edited = box.settings()
    assert (edited.naming, edited.write_scores, edited.reject_as_minus_one) == (
        "name.xmp",
        True,
        False,
    )
    assert edited.conflict_policy == "newest"
    box.enabled.setChecked(False)
    assert not box.naming.isEnabled() and not box.write_scores.isEnabled()


def test_the_lightroom_note_is_shown(qtbot):
    from PySide6.QtWidgets import QLabel

    box = SidecarSettingsBox(XmpSettings())
    qtbot.addWidget(box)
    texts = " ".join(label.text() for label in box.findChildren(QLabel))
    assert "Lightroom" in texts and "ignores JPEG sidecars" in texts


def test_conflicts_are_listed_and_settled_for_the_selection_or_all(qtbot):
    dialog = SyncConflictsDialog()
    qtbot.addWidget(dialog)
    assert not dialog.isModal()
    assert not dialog.keep_app.isEnabled() and "No sync conflicts" in dialog.summary.text()
    dialog.set_conflicts(
        [
            _conflict(1, "stars", "5", "1"),
            _conflict(2, "color", "red", ""),
            _conflict(2, "flag", "1", "-1"),
        ]
    )
    assert dialog.table.rowCount() == 3 and "2 photo(s)" in dialog.summary.text()
    cells = [[dialog.table.item(r, c).text() for c in range(4)] for r in range(3)]
    assert cells[0] == ["IMG_1.CR2", "Stars", "5 stars", "1 star"]
    assert cells[1][2:] == ["red", "no label"] and cells[2][2:] == ["picked", "rejected"]
    with qtbot.waitSignal(dialog.resolve_requested) as signal:
        dialog.take_file.click()
    assert signal.args == ["file", [1, 2], False]
    dialog.table.selectRow(0)
    dialog.remember.setChecked(True)
    with qtbot.waitSignal(dialog.resolve_requested) as signal:
        dialog.keep_app.click()
    assert signal.args == ["app", [1], True]


def test_texts():
    assert (
        describe_value("stars", "0") == "no stars" and describe_value("flag", "0") == "not flagged"
    )
    assert conflict_count_text(0) == "" and conflict_count_text(1) == "1 sync conflict"
    assert conflict_count_text(3) == "3 sync conflicts"


def test_the_settings_dialog_has_a_sidecars_page_whose_choices_come_back(qtbot, tmp_path):
    from humanaes_desktop.settings import AppSettings
    from humanaes_desktop.ui.dialogs.settings import SettingsDialog

    dialog = SettingsDialog(AppSettings(path=tmp_path / "settings.json"), sidecars=XmpSettings())
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "Scoring and model",
        "Sidecars",
    ]
    dialog.sidecar_box.naming.setCurrentIndex(dialog.sidecar_box.naming.findData("both"))
    dialog.accept()
    assert dialog.sidecar_settings().naming == "both"
    assert (tmp_path / "settings.json").exists()
    plain = SettingsDialog(AppSettings(path=tmp_path / "other.json"))
    qtbot.addWidget(plain)
    assert plain.sidecar_settings() is None
