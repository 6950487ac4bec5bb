"""Crash handling: every uncaught exception is logged and shown in a readable dialog.

Uncaught exceptions on the GUI thread (including those raised in slots, which PySide reports
through sys.excepthook) and in other threads (threading.excepthook) end up in the rotating log
file and in one report dialog on the GUI thread. While that dialog is open, further exceptions
are only logged, so a failure that repeats on every repaint cannot bury the user in dialogs.
Qt's own messages (warnings about fonts, plugins, painting) go to the same log.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.errors import UserError
from humanaes_desktop.logging_setup import configure_logging, remove_log_file_handler

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def describe_exception(exc_type: type[BaseException], exc: BaseException) -> str:
    """The summary a user reads: a UserError's own sentence, else what failed in plain words."""
    if isinstance(exc, UserError):
        return str(exc)
    return (
        "HumanAes Desktop hit an unexpected error. Your ratings and scores saved so far are "
        f"safe.\n\n{exc_type.__name__}: {exc}"
    )


class CrashDialog(QDialog):
    """Summary, the log file's path, the traceback behind "Details", and copy-to-clipboard."""

    def __init__(self, summary: str, details: str, log_file: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("Something went wrong")
        self.setMinimumWidth(520)
        self.details = details
        layout = QVBoxLayout(self)
        self.summary_label = QLabel(summary)
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.log_label = QLabel(f"The log file has the full story: {log_file}")
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.log_label)
        self.details_view = QPlainTextEdit(details)
        self.details_view.setReadOnly(True)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setMinimumHeight(200)
        self.details_view.setVisible(False)
        layout.addWidget(self.details_view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.details_button = QPushButton("Show details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._on_details_button_toggled)
        self.copy_button = QPushButton("Copy to clipboard")
        self.copy_button.clicked.connect(self.copy_report)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._log_file = log_file

    def _on_details_button_toggled(self, shown: bool) -> None:
        self.details_view.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def copy_report(self) -> None:
        """Put summary, traceback and log path on the clipboard (for a bug report)."""
        text = f"{self.summary_label.text()}\n\nLog file: {self._log_file}\n\n{self.details}"
        QApplication.clipboard().setText(text)


class _CrashHandler(QObject):
    """Lives on the GUI thread; `exception_caught` is queued there from any thread."""

    exception_caught = Signal(str, str)

    def __init__(self, log_file: Path):
        super().__init__()
        self.log_file = log_file
        self.dialog: CrashDialog | None = None
        self.exception_caught.connect(self._on_exception_caught)

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(exc_type, exc, tb))
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.exception_caught.emit(describe_exception(exc_type, exc), details)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread else "unknown thread"
        log.critical(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        details = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        exc = args.exc_value if args.exc_value is not None else args.exc_type()
        self.exception_caught.emit(describe_exception(args.exc_type, exc), details)

    def _on_exception_caught(self, summary: str, details: str) -> None:
        if self.dialog is not None:
            log.info("another error while the error report is open; logged only")
            return
        self.dialog = CrashDialog(summary, details, self.log_file)
        self.dialog.finished.connect(self._on_dialog_finished)
        self.dialog.show()
        self.dialog.raise_()

    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None


def _route_qt_message(mode: QtMsgType, context, message: str) -> None:
    level = _QT_LEVELS.get(mode, logging.WARNING)
    where = f" ({context.file}:{context.line})" if context is not None and context.file else ""
    qt_log.log(level, "%s%s", message, where)


_installed: dict[str, object] = {}


def install_crash_handling(log_dir: Path) -> None:
    """Log to a rotating file in `log_dir`, show uncaught exceptions, route Qt messages.

    Call once, on the GUI thread, after the QApplication exists.
    """
    if _installed:
        return
    log_file = configure_logging(log_dir)
    handler = _CrashHandler(log_file)
    _installed.update(
        handler=handler,
        excepthook=sys.excepthook,
        thread_excepthook=threading.excepthook,
        log_file=log_file,
    )
    sys.excepthook = handler.excepthook
    threading.excepthook = handler.thread_excepthook
    _installed["qt_handler"] = qInstallMessageHandler(_route_qt_message)
    log.info("crash handling installed; log file %s", log_file)


def crash_log_file() -> Path | None:
    """The log file crash reports point to (None before install_crash_handling)."""
    value = _installed.get("log_file")
    return value if isinstance(value, Path) else None


def uninstall_crash_handling() -> None:
    """Restore the previous hooks and close the log file (tests, orderly shutdown)."""
    if not _installed:
        return
    sys.excepthook = _installed["excepthook"]  # type: ignore[assignment]
    threading.excepthook = _installed["thread_excepthook"]  # type: ignore[assignment]
    qInstallMessageHandler(_installed.get("qt_handler"))  # type: ignore[arg-type]
    handler = _installed["handler"]
    if isinstance(handler, _CrashHandler) and handler.dialog is not None:
        handler.dialog.close()
    remove_log_file_handler(_installed["log_file"])  # type: ignore[arg-type]
    _installed.clear()
