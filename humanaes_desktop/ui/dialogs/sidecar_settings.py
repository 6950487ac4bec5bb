"""Settings → Sidecars: what the library writes to XMP sidecars, and how new ones are named."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from humanaes_desktop.library.xmp.records import XmpSettings

NAMING_TEXTS = (
    ("name.ext.xmp", "IMG_1234.CR2.xmp (darktable, digiKam, Immich)"),
    ("name.xmp", "IMG_1234.xmp (Lightroom, Capture One, Bridge)"),
    ("both", "Both names"),
)
LIGHTROOM_NOTE = (
    "Lightroom reads sidecars of RAW files only and ignores JPEG sidecars (it keeps JPEG"
    " ratings inside the JPEG, which is read here but never modified). For Lightroom choose"
    " IMG_1234.xmp. darktable: turn on \u201clook for updated XMP files on startup\u201d."
)


class SidecarSettingsBox(QGroupBox):
    """Edits a copy of the library's XmpSettings; `settings()` returns the edited copy."""

    def __init__(self, settings: XmpSettings, parent: QWidget | None = None) -> None:
        super().__init__("Sidecars (XMP, read by other photo tools)", parent)
        self._original = settings
        self.enabled = QCheckBox("Write ratings, picks and labels to sidecars and read them back")
        self.enabled.setChecked(settings.enabled)
        self.naming = QComboBox()
        for value, text in NAMING_TEXTS:
            self.naming.addItem(text, value)
        self.naming.setCurrentIndex(max(self.naming.findData(settings.naming), 0))
        self.reject_as_minus_one = QCheckBox(
            "Rejected photos get Rating \u22121 (darktable, Immich)"
        )
        self.reject_as_minus_one.setChecked(settings.reject_as_minus_one)
        self.digikam = QCheckBox("digiKam compatibility (pick and reject as digiKam:PickLabel)")
        self.digikam.setChecked(settings.digikam)
        self.write_scores = QCheckBox(
            "Also write the model's scores (overall, level, 12 dimensions)"
        )
        self.write_scores.setChecked(settings.write_scores)
        self.write_synthetic = QCheckBox("Include scores of a synthetic model (marked synthetic)")
        self.write_synthetic.setChecked(settings.write_synthetic)
        note = QLabel(LIGHTROOM_NOTE)
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.enabled)
        form.addRow("New sidecars:", self.naming)
        form.addRow(self.reject_as_minus_one)
        form.addRow(self.digikam)
        form.addRow(self.write_scores)
        form.addRow(self.write_synthetic)
        form.addRow(note)
        self.enabled.toggled.connect(self._update_enabled)
        self.write_scores.toggled.connect(self._update_enabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        on = self.enabled.isChecked()
        for widget in (self.naming, self.reject_as_minus_one, self.digikam, self.write_scores):
            widget.setEnabled(on)
        self.write_synthetic.setEnabled(on and self.write_scores.isChecked())

    def settings(self) -> XmpSettings:
        """The edited settings (the conflict policy is kept as it was)."""
        return dataclasses.replace(
            self._original,
            enabled=self.enabled.isChecked(),
            naming=self.naming.currentData(),
            reject_as_minus_one=self.reject_as_minus_one.isChecked(),
            digikam=self.digikam.isChecked(),
            write_scores=self.write_scores.isChecked(),
            write_synthetic=self.write_synthetic.isChecked(),
        )
