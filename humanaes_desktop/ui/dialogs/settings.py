"""Settings: device, precision, tiles, scoring passes, annotation, decode mode and the model.
OK saves."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.library.xmp.records import XmpSettings
from humanaes_desktop.settings import MAX_TILES_RANGE, AppSettings
from humanaes_desktop.ui.background.taste_client import TasteClient
from humanaes_desktop.ui.breakdown.radar_chart import muted_css
from humanaes_desktop.ui.dialogs.model_setup import ModelSetupDialog
from humanaes_desktop.ui.dialogs.sidecar_settings import SidecarSettingsBox
from humanaes_desktop.ui.dialogs.taste_settings import TasteGroup
from humanaes_desktop.wording import NO_MODEL_SET_UP

log = logging.getLogger(__name__)

DEVICE_CHOICES = (
    ("auto", "Automatic (GPU when available)"),
    ("cpu", "CPU"),
    ("cuda", "NVIDIA GPU (CUDA)"),
    ("mps", "Apple GPU (MPS)"),
)
DTYPE_CHOICES = (
    ("auto", "Automatic (fp16 on GPU; on CPU as measured)"),
    ("fp32", "fp32"),
    ("fp16", "fp16 (GPU)"),
    ("bf16", "bf16"),
)
PROFILE_MODE_CHOICES = (
    ("auto", "Automatic — quick first on a CPU, full only on a GPU"),
    ("quick_first", "Quick first, then full"),
    ("full", "Full only"),
    ("quick", "Quick only"),
)
# One line each: what the choice costs. A quick score feeds 1 tile; a 12-megapixel 4:3 photo at
# the full profile is 12 tiles + a thumbnail (benchmarks/bench_profiles.py measures the ratio).
PROFILE_MODE_NOTES = {
    "auto": "On a CPU every photo gets a quick score first (one tile, about a tenth of the "
    "work for a camera photo), then its full score; a GPU scores in full at once.",
    "quick_first": "Every photo gets a quick score first (one tile, about a tenth of the work "
    "for a camera photo); full scores follow in the background, best photos first.",
    "full": "Each photo is scored once, with up to Max tiles tiles: the finest score, about "
    "ten times the work of a quick one for a camera photo.",
    "quick": "Each photo is scored once, as one tile: about ten times faster for camera "
    "photos, but a coarser look, and never upgraded.",
}
ANNOTATION_CHOICES = (
    ("off", "Off — no annotation text, not even on request"),
    ("on", "On — write annotation text for every photo (slower)"),
    ("on_demand", "On demand — only when you ask for a photo"),
)


def _note(colour: str, text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setStyleSheet(f"color: {colour};")
    return label


def precision_note() -> str:
    """What `Automatic` precision does on this CPU: the measured rates and the choice."""
    from humanaes_desktop.engine.model.dtype_choice import BF16_SPEEDUP_NEEDED, cached_verdict

    verdict = cached_verdict()
    if verdict is None:
        return (
            "On CPU, Automatic measures bf16 against fp32 (under a second) the first time a "
            "model loads on this machine, and uses bf16 where it is at least "
            f"{BF16_SPEEDUP_NEEDED:g}× faster."
        )
    return (
        f"Measured on this CPU ({verdict.cpu}): bf16 {verdict.bf16_gflops:.0f} GFLOP/s, fp32 "
        f"{verdict.fp32_gflops:.0f} GFLOP/s ({verdict.bf16_speedup:.1f}×), so Automatic uses "
        f"{verdict.dtype} on CPU."
    )


def _combo(choices: tuple[tuple[str, str], ...], current: str) -> QComboBox:
    combo = QComboBox()
    for value, text in choices:
        combo.addItem(text, value)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


class SettingsDialog(QDialog):
    """Edits a copy of `settings`; OK copies the choices back into it and saves the file."""

    def __init__(
        self,
        settings: AppSettings,
        parent: QWidget | None = None,
        *,
        in_use: str | None = None,
        from_command_line: bool = False,
        taste: TasteClient | None = None,
        sidecars: XmpSettings | None = None,
    ):
        """`in_use`: the model folder the app runs now, when it is not (only) the saved choice
        (given with --model, or found installed). `sidecars`: the library's sidecar settings,
        edited here too (the caller stores `sidecar_settings()` after OK)."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(540)
        self.settings = settings
        self._in_use, self._from_command_line = in_use, from_command_line
        self._draft = dataclasses.replace(settings)
        self._muted = muted_css(self)
        layout = QVBoxLayout(self)
        scoring = QWidget()
        scoring_layout = QVBoxLayout(scoring)
        scoring_layout.setContentsMargins(0, 0, 0, 0)
        scoring_layout.addWidget(self._build_scoring_group())
        scoring_layout.addWidget(self._build_model_group())
        self.taste_group = TasteGroup(taste) if taste is not None else None
        if self.taste_group is not None:
            scoring_layout.addWidget(self.taste_group)
        self.sidecar_box = SidecarSettingsBox(sidecars) if sidecars is not None else None
        if self.sidecar_box is None:
            layout.addWidget(scoring)
        else:  # the library's sidecar settings get a page of their own
            self.tabs = QTabWidget()
            self.tabs.addTab(scoring, "Scoring and model")
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.addWidget(self.sidecar_box)
            page_layout.addStretch(1)
            self.tabs.addTab(page, "Sidecars")
            layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e74c3c;")
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def _build_scoring_group(self) -> QGroupBox:
        group = QGroupBox("Scoring")
        form = QFormLayout(group)
        self.device_combo = _combo(DEVICE_CHOICES, self._draft.device)
        form.addRow("Device", self.device_combo)
        self.dtype_combo = _combo(DTYPE_CHOICES, self._draft.dtype)
        form.addRow("Precision", self.dtype_combo)
        self.precision_note = _note(self._muted, precision_note())
        form.addRow("", self.precision_note)
        self.tiles_spin = QSpinBox()
        self.tiles_spin.setRange(*MAX_TILES_RANGE)
        self.tiles_spin.setValue(self._draft.max_tiles)
        form.addRow("Max tiles", self.tiles_spin)
        form.addRow(
            "",
            _note(
                self._muted,
                "Each 448-px tile costs a few seconds on a laptop CPU. Fewer tiles are faster but "
                "see less detail; 12 is the model authors' setting.",
            ),
        )
        self.profile_mode_combo = _combo(PROFILE_MODE_CHOICES, self._draft.profile_mode)
        form.addRow("Scoring passes", self.profile_mode_combo)
        self.profile_mode_note = _note(self._muted, "")
        self.profile_mode_combo.currentIndexChanged.connect(self._show_profile_mode_note)
        self._show_profile_mode_note()
        form.addRow("", self.profile_mode_note)
        self.annotation_combo = _combo(ANNOTATION_CHOICES, self._draft.annotation)
        form.addRow("Annotation text", self.annotation_combo)
        self.fast_decode_check = QCheckBox("Fast JPEG decode")
        self.fast_decode_check.setChecked(self._draft.fast_decode)
        form.addRow("", self.fast_decode_check)
        form.addRow(
            "",
            _note(
                self._muted,
                "Decodes large JPEGs at reduced size: much faster, but a different "
                "preprocessing profile. It is recorded with every result, and scores made "
                "with different profiles are never mixed silently.",
            ),
        )
        return group

    def _show_profile_mode_note(self) -> None:
        self.profile_mode_note.setText(PROFILE_MODE_NOTES[self.profile_mode_combo.currentData()])

    def _build_model_group(self) -> QGroupBox:
        group = QGroupBox("Model")
        row = QHBoxLayout(group)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self._refresh_model_label()
        self.model_button = QPushButton("Change…")
        self.model_button.clicked.connect(self.open_model_setup)
        row.addWidget(self.model_label, 1)
        row.addWidget(self.model_button)
        return group

    def _refresh_model_label(self) -> None:
        folder = self._draft.model_dir
        if self._from_command_line and self._in_use:
            # Saying "no model" while one scores would send the user looking for a problem.
            chosen = f"Saved choice for later starts: {folder}." if folder else ""
            self.model_label.setText(
                f"In use now: {self._in_use} (given with --model for this session). {chosen}"
            )
            return
        if not folder and self._in_use:
            self.model_label.setText(f"In use: {self._in_use} (the installed model).")
            return
        if not folder:
            self.model_label.setText(NO_MODEL_SET_UP)
            return
        trust = " — trusted by you (not verifiable)" if self._draft.model_trusted else ""
        self.model_label.setText(f"{folder}{trust}")

    def open_model_setup(self) -> ModelSetupDialog:
        """Open model setup on the draft (saved only when OK is pressed here)."""
        dialog = ModelSetupDialog(self._draft, self, save_on_accept=False)
        dialog.finished.connect(lambda _result: self._refresh_model_label())
        dialog.open()
        return dialog

    def draft(self) -> AppSettings:
        """The choices as they stand in the dialog now."""
        return dataclasses.replace(
            self._draft,
            device=self.device_combo.currentData(),
            dtype=self.dtype_combo.currentData(),
            max_tiles=self.tiles_spin.value(),
            profile_mode=self.profile_mode_combo.currentData(),
            annotation=self.annotation_combo.currentData(),
            fast_decode=self.fast_decode_check.isChecked(),
        )

    def sidecar_settings(self) -> XmpSettings | None:
        """The library's sidecar settings as edited (None when not shown)."""
        return self.sidecar_box.settings() if self.sidecar_box is not None else None

    def accept(self) -> None:
        """Copy the choices into the settings object, save them, close."""
        chosen = self.draft()
        for field in dataclasses.fields(AppSettings):
            if field.name != "path":
                setattr(self.settings, field.name, getattr(chosen, field.name))
        try:
            self.settings.save()
        except OSError as exc:  # a read-only config dir must not lose the user's choices silently
            log.error("could not save settings: %s", exc)
            self.error_label.setText(f"Could not save the settings: {exc}")
            self.error_label.setVisible(True)
            return
        super().accept()
