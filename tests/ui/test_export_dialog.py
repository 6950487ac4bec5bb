"""Export picks dialog: copies in the background with progress, cancel and a final report."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from humanaes_desktop.copy_picks import copy_files
from humanaes_desktop.ui.dialogs.export_picks import ExportPicksDialog
from tests.support.photos import PHOTOS_DIR

NAMES = ("rocket.jpg", "coffee.png", "chelsea.png")


@pytest.fixture
def picks(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for name in NAMES:
        shutil.copy2(PHOTOS_DIR / name, shoot / name)
    return [str(shoot / name) for name in NAMES]


def _open(qtbot, picks, dest, **kwargs):
    dialog = ExportPicksDialog(picks, destination=str(dest), **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_copies_with_progress_and_reports(qtbot, picks, tmp_path):
    dest = tmp_path / "export"
    dest.mkdir()
    (dest / "rocket.jpg").write_bytes(b"already here, must survive")
    dialog = _open(qtbot, picks, dest)
    assert dialog.copy_button.isEnabled()
    dialog.copy_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.progress_bar.value() == 3
    assert sorted(p.name for p in dest.iterdir()) == [
        "chelsea.png",
        "coffee.png",
        "rocket (2).jpg",
        "rocket.jpg",
    ]
    assert (dest / "rocket.jpg").read_bytes() == b"already here, must survive"
    assert all(os.path.exists(p) for p in picks)  # copied, never moved
    assert "3 copied" in dialog.report_view.toPlainText()
    assert dialog.report_view.isVisible() and dialog.cancel_button.text() == "Close"
    assert not dialog.copy_button.isEnabled()  # one export per dialog: no accidental repeats


def test_cancel_midway_keeps_the_dialog_and_reports_what_was_not_copied(qtbot, picks, tmp_path):
    first_file_done = threading.Event()
    release = threading.Event()

    def gated_copy(paths, dest, *, progress, cancel):
        """The real copy, paused after the first file so the test can press Cancel then."""

        def pausing_progress(done, total, current):
            progress(done, total, current)
            if done == 1:
                first_file_done.set()
                release.wait(10)

        return copy_files(paths, dest, progress=pausing_progress, cancel=cancel)

    dest = tmp_path / "export"
    dialog = _open(qtbot, picks, dest, copier=gated_copy)
    dialog.copy_button.click()
    qtbot.waitUntil(first_file_done.is_set, timeout=10_000)
    dialog.cancel_button.click()
    assert dialog.isVisible() and dialog.current_label.text() == "Cancelling…"
    release.set()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.report.cancelled
    assert [p.name for p in dest.iterdir()] == ["rocket.jpg"]
    text = dialog.report_view.toPlainText()
    assert "1 copied" in text and "coffee.png" in text and "chelsea.png" in text
    dialog.cancel_button.click()  # now "Close"
    assert not dialog.isVisible()


def test_unusable_destination_gives_a_clear_message(qtbot, picks, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog = _open(qtbot, picks, blocker / "sub")
    dialog.copy_button.click()
    qtbot.waitUntil(lambda: "Could not export" in dialog.current_label.text(), timeout=10_000)
    assert dialog.report is None and dialog.copy_button.isEnabled()
