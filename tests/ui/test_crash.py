"""Crash handling: an uncaught exception shows one readable dialog and lands in the log file."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QApplication, QPushButton

from humanaes_desktop.errors import UserError
from humanaes_desktop.ui.dialogs.crash import (
    CrashDialog,
    crash_log_file,
    install_crash_handling,
    uninstall_crash_handling,
)

# pytest-qt would otherwise catch slot exceptions itself; these tests check our handler does.
pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def crash_handling(tmp_path, qapp):
    install_crash_handling(tmp_path / "logs")
    yield tmp_path / "logs"
    uninstall_crash_handling()


def _crash_dialogs() -> list[CrashDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()
    ]


def _log_text() -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return crash_log_file().read_text(encoding="utf-8")


def test_exception_in_a_slot_shows_the_dialog_and_is_logged(qtbot, crash_handling):
    button = QPushButton("boom")
    qtbot.addWidget(button)

    def explode():
        raise RuntimeError("kaboom in a slot")

    button.clicked.connect(explode)
    button.click()
    qtbot.waitUntil(lambda: len(_crash_dialogs()) == 1, timeout=5000)
    dialog = _crash_dialogs()[0]
    assert "kaboom in a slot" in dialog.summary_label.text()
    assert "unexpected error" in dialog.summary_label.text()
    assert str(crash_log_file()) in dialog.log_label.text()
    assert crash_log_file().parent == crash_handling.resolve()
    assert "Traceback" in dialog.details and "explode" in dialog.details
    assert not dialog.details_view.isVisible()
    dialog.details_button.click()
    assert dialog.details_view.isVisible()
    dialog.copy_button.click()
    assert "kaboom in a slot" in QApplication.clipboard().text()
    assert "kaboom in a slot" in _log_text()

    # A second failure while the report is open is logged, not stacked as another dialog.
    button.click()
    qtbot.wait(50)  # let any (wrongly) queued second dialog appear
    assert len(_crash_dialogs()) == 1
    assert _log_text().count("kaboom in a slot") >= 2
    dialog.close()
    qtbot.waitUntil(lambda: not _crash_dialogs(), timeout=5000)


def test_exception_in_a_worker_thread_reaches_the_gui(qtbot, crash_handling):
    def work():
        raise ValueError("worker thread failed")

    thread = threading.Thread(target=work, name="test-worker")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(_crash_dialogs()) == 1, timeout=5000)
    dialog = _crash_dialogs()[0]
    assert "worker thread failed" in dialog.summary_label.text()
    assert "test-worker" in _log_text()
    dialog.close()


def test_user_errors_show_their_own_sentence(qtbot, crash_handling):
    button = QPushButton()
    qtbot.addWidget(button)

    def refuse():
        raise UserError("The folder /photos is not readable; check its permissions.")

    button.clicked.connect(refuse)
    button.click()
    qtbot.waitUntil(lambda: len(_crash_dialogs()) == 1, timeout=5000)
    dialog = _crash_dialogs()[0]
    assert (
        dialog.summary_label.text() == "The folder /photos is not readable; check its permissions."
    )
    dialog.close()


def test_qt_messages_are_routed_into_the_log(qtbot, crash_handling):
    qWarning("a Qt warning from the test")
    assert "qt: a Qt warning from the test" in _log_text()


def test_log_file_defaults_to_the_data_dir_and_is_not_doubled(tmp_path, monkeypatch):
    from humanaes_desktop.logging_setup import configure_logging, remove_log_file_handler

    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path))
    first = configure_logging()
    try:
        assert first.parent == (tmp_path / "logs").resolve()
        assert configure_logging() == first
        logging.getLogger("humanaes_desktop.test").warning("written once")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert first.read_text(encoding="utf-8").count("written once") == 1
    finally:
        remove_log_file_handler(first)
