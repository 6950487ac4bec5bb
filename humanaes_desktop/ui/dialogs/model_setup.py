"""Model setup: download the pinned model, or choose a local folder and verify it first.

Verification hashes the files (a minute for 1.9 GB), so it runs in the background. A folder
whose code the app cannot verify is only accepted after an explicit warning, because its Python
files run on the user's computer when the model loads.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.engine.store.manifest import (
    UnverifiedModelError,
    VerifiedFolder,
    verify_model_folder,
)
from humanaes_desktop.errors import UserError
from humanaes_desktop.settings import AppSettings
from humanaes_desktop.ui.dialogs.background_task import BackgroundTaskDialog
from humanaes_desktop.ui.dialogs.download import DownloadDialog
from humanaes_desktop.wording import NO_MODEL_SET_UP

log = logging.getLogger(__name__)

TRUST_WARNING = (
    "This folder is not a model the app can verify. It contains Python code that will run on "
    "your computer when the model loads.\n\nOnly trust folders from a source you trust. The "
    "app records its files now and refuses them if they change later.\n\nTrust this folder?"
)


def ask_trust_unknown_folder(parent: QWidget | None, folder: str) -> bool:
    """The explicit question before trusting unverifiable code; True only when the user agrees."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Trust this model folder?")
    box.setText(f"<b>{folder}</b>")
    box.setInformativeText(TRUST_WARNING)
    trust = box.addButton("Trust and use it", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is trust


class ModelSetupDialog(BackgroundTaskDialog):
    """First run and Settings → Model. Updates `settings.model_dir` / `model_trusted` on success."""

    model_chosen = Signal(str)

    def __init__(
        self,
        settings: AppSettings,
        parent: QWidget | None = None,
        *,
        save_on_accept: bool = True,
        download_source: object | None = None,
        download_dest: Path | str | None = None,
    ):
        super().__init__(parent, work_name="verify-model")
        self.setWindowTitle("Model setup")
        self.setMinimumWidth(520)
        self.settings = settings
        self._save_on_accept = save_on_accept
        self._download_source = download_source
        self._download_dest = download_dest
        self._pending_folder: str | None = None
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel(
            "<b>HumanAes Desktop scores photos with the HumanAesExpert-1B model.</b><br>"
            "Download it once (about 1.9 GB, checked against its published checksums), or use "
            "a model folder you already have. Without a model you can still browse photos and "
            "sort them by name or date."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.current_label = QLabel(self._current_text())
        self.current_label.setObjectName("current_label")
        self.current_label.setWordWrap(True)
        layout.addWidget(self.current_label)
        self.download_button = QPushButton("Download HumanAesExpert-1B (1.9 GB)…")
        self.download_button.clicked.connect(self.start_download)
        layout.addWidget(self.download_button)
        self.folder_button = QPushButton("Use a model folder…")
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        layout.addWidget(self.folder_button)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: hashing has no useful percentage here
        self.busy_bar.setVisible(False)
        layout.addWidget(self.busy_bar)
        self.message_label = QLabel("")
        self.message_label.setObjectName("message_label")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message_label)
        self.buttons = QDialogButtonBox()
        self.close_button = self.buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    def _current_text(self) -> str:
        if not self.settings.model_dir:
            return NO_MODEL_SET_UP
        trust = " (trusted by you, not verifiable)" if self.settings.model_trusted else ""
        return f"Current model: {self.settings.model_dir}{trust}"

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #e74c3c;" if error else "")
        self.message_label.setText(text)

    # ------------------------------------------------------------- download
    def start_download(self) -> DownloadDialog:
        """Open the download progress dialog (modal) and start downloading; returns it."""
        dialog = DownloadDialog(self, dest=self._download_dest, source=self._download_source)
        dialog.accepted.connect(lambda: self._on_download_accepted(dialog))
        dialog.setModal(True)
        dialog.show()
        dialog.start()
        return dialog

    def _on_download_accepted(self, dialog: DownloadDialog) -> None:
        if dialog.installed_path is not None:
            # download_model verified every file against the pinned manifest already.
            self._apply(str(dialog.installed_path), trusted=False, what="the downloaded model")

    # --------------------------------------------------------------- folder
    def _on_folder_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a HumanAesExpert model folder")
        if folder:
            self.choose_folder(folder)

    def choose_folder(self, folder: str) -> None:
        """Verify `folder` in the background; accept, ask about trust, or refuse with a reason."""
        self._run_verification(folder, trust_unknown=False)

    def is_verifying(self) -> bool:
        """True while a folder is being checked."""
        return self.is_running()

    def _run_verification(self, folder: str, *, trust_unknown: bool) -> None:
        if self.is_verifying():
            return
        self._pending_folder = folder
        self._set_busy(True, f"Checking {folder}… (hashing a 1.9 GB model can take a minute)")
        work = functools.partial(verify_model_folder, folder, trust_unknown=trust_unknown)
        self._start_work(work, self._on_verify_succeeded, self._on_verify_failed)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy_bar.setVisible(busy)
        self.download_button.setEnabled(not busy)
        self.folder_button.setEnabled(not busy)
        if message:
            self._show_message(message)

    def _on_verify_succeeded(self, verified: VerifiedFolder) -> None:
        self._set_busy(False)
        descriptions = {
            "official": f"the official {verified.identity.repo}",
            "synthetic": "a SYNTHETIC test model (random weights, scores are meaningless)",
            "trusted": "a folder you trusted",
        }
        what = descriptions.get(verified.kind, verified.kind)
        self._apply(str(verified.path), trusted=verified.kind == "trusted", what=what)

    def _on_verify_failed(self, exc: BaseException) -> None:
        # The dialog shows every refusal; unexpected failures are logged too.
        if not isinstance(exc, UserError):
            log.error("verifying a model folder failed unexpectedly", exc_info=exc)
        self._set_busy(False)
        folder = self._pending_folder or ""
        if isinstance(exc, UnverifiedModelError):
            if ask_trust_unknown_folder(self, folder):
                self._run_verification(folder, trust_unknown=True)
            else:
                self._show_message(f"Not used: {folder} was not trusted.", error=True)
            return
        if isinstance(exc, UserError):
            self._show_message(f"Refused: {exc}", error=True)
        else:
            self._show_message(f"Checking the folder failed: {exc}", error=True)

    def reject(self) -> None:
        """Close, unless a folder is being checked (its result must land somewhere)."""
        if self.is_verifying():
            self._show_message(
                "Still checking the folder; close this window once the check has finished."
            )
            return
        super().reject()

    def _apply(self, folder: str, *, trusted: bool, what: str) -> None:
        self.settings.model_dir = folder
        self.settings.model_trusted = trusted
        if self._save_on_accept:
            self.settings.save()
        self.current_label.setText(self._current_text())
        self._show_message(f"Using {what}.")
        log.info("model folder set to %s (%s)", folder, what)
        self.model_chosen.emit(folder)
        self.accept()
