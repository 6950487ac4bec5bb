"""Sort and filter controls above the gallery; every change emits a new GalleryQuery.

The folder is not chosen here (the sidebar does that); the controller merges both. The file
name text is debounced so typing does not run a query per key stroke.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.engine.dimensions import DIMENSIONS, LEVELS
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus, ProfileMix
from humanaes_desktop.ui.breakdown.palette import QUICK_HEX

TEXT_DEBOUNCE_MS = 250

SORT_CHOICES: list[tuple[str, str]] = (
    [("Overall (MetaVoter)", "overall"), ("Fast score", "fast_score")]
    + [(d.name, d.key) for d in DIMENSIONS]
    + [("File name", "file_name"), ("Capture date", "captured_at"), ("Stars", "stars")]
    + [("Your taste", "taste")]
)
TASTE_OFF_TIP = "Sorting by your taste is off: {reason}"
FLAG_CHOICES: list[tuple[str, frozenset[Flag]]] = [
    ("Any flag", frozenset()),
    ("Picked", frozenset({Flag.PICKED})),
    ("Rejected", frozenset({Flag.REJECTED})),
    ("Unflagged", frozenset({Flag.NONE})),
    ("Not rejected", frozenset({Flag.PICKED, Flag.NONE})),
]
MARK_CHOICES: list[tuple[str, frozenset[str]]] = [
    ("Any marks", frozenset()),
    ("Soft", frozenset({"soft"})),
    ("Eyes closed", frozenset({"eyes_closed"})),
    ("Clipped", frozenset({"clipped"})),
    ("With faces", frozenset({"faces"})),
    ("No faces", frozenset({"no_faces"})),
]
STATUS_CHOICES: list[tuple[str, frozenset[ImageStatus]]] = [
    ("Any status", frozenset()),
    ("Scored", frozenset({ImageStatus.SCORED})),
    ("Unscored", frozenset({ImageStatus.NEW, ImageStatus.QUEUED, ImageStatus.SCORING})),
    ("Failed", frozenset({ImageStatus.FAILED, ImageStatus.UNSUPPORTED})),
]


class FilterBar(QWidget):
    """Sort key, direction, level, minimum score, flags, stars, status and name filter."""

    query_changed = Signal(object)  # GalleryQuery (folder_id left at its default)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = GalleryQuery()
        self._debounce = QTimer(self, singleShot=True, interval=TEXT_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)
        self._build_widgets()
        self.set_taste(False, "no taste has been learnt yet")
        self._build_layout()
        self._update_direction_text()
        self._connect()

    def _build_widgets(self) -> None:
        self.sort_combo = _combo("sortCombo", SORT_CHOICES, "Sort by")
        # Wide enough for "Overall (MetaVoter)", the default; longer dimension names are in the
        # tooltip and the popup.
        self.sort_combo.setMinimumContentsLength(len(SORT_CHOICES[0][0]) + 2)
        self.sort_combo.currentTextChanged.connect(
            lambda text: self.sort_combo.setToolTip(f"Sort by {text}")
        )
        self.sort_combo.setToolTip(f"Sort by {self.sort_combo.currentText()}")
        self.direction = QToolButton(objectName="sortDirection", checkable=True, checked=True)
        self.direction.setToolTip("Descending (best first) / ascending")
        self.level_combo = _combo(
            "levelCombo",
            [("Any level", frozenset())]
            + [
                (f"{lv.capitalize()} and better", frozenset(LEVELS[i:]))
                for i, lv in enumerate(LEVELS)
            ]
            + [(f"Only {lv}", frozenset({lv})) for lv in LEVELS],
            "Level",
        )
        self.min_overall = QDoubleSpinBox(objectName="minOverall", decimals=2, singleStep=0.05)
        self.min_overall.setRange(0.0, 1.0)
        self.min_overall.setPrefix("Score ≥ ")
        self.flag_combo = _combo("flagCombo", FLAG_CHOICES, "Flag")
        self.min_stars = QSpinBox(objectName="minStars", suffix=" ★+")
        self.min_stars.setToolTip("Minimum stars")
        self.min_stars.setRange(0, 5)
        self.status_combo = _combo("statusCombo", STATUS_CHOICES, "Status")
        self.marks_combo = _combo(
            "marksCombo", MARK_CHOICES, "Culling marks from the first pass (no model needed)"
        )
        self.stack_bursts = QToolButton(objectName="stackBursts", checkable=True, text="Stacks")
        self.stack_bursts.setToolTip(
            "Best of each burst only: a burst shows as one stack, its suggested frame on top"
        )
        self.name_filter = QLineEdit(objectName="nameFilter", clearButtonEnabled=True)
        self.name_filter.setPlaceholderText("Filter by file name (Ctrl+F)")
        self.resort_hint = QLabel(objectName="resortHint")
        self.resort_hint.setVisible(False)
        self.profile_mix = QLabel(objectName="profileMix")
        self.profile_mix.setStyleSheet(f"color: {QUICK_HEX};")
        self.profile_mix.setVisible(False)
        self.name_filter.setMinimumWidth(140)

    def _build_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        # Two rows keep the window's minimum width small: sorting and search, then filters.
        top, bottom = QHBoxLayout(), QHBoxLayout()
        # The culling controls sit up here: the filter row is as wide as the window's minimum.
        for widget in (
            QLabel("Sort:"), self.sort_combo, self.direction, self.stack_bursts,
            self.marks_combo, self.name_filter,
        ):  # fmt: skip
            top.addWidget(widget)
        top.addWidget(self.resort_hint)
        top.setStretchFactor(self.name_filter, 1)
        for widget in (
            QLabel("Show:"), self.level_combo, self.min_overall, self.flag_combo,
            self.min_stars, self.status_combo,
        ):  # fmt: skip
            bottom.addWidget(widget)
        bottom.addStretch(1)
        bottom.addWidget(self.profile_mix)
        layout.addLayout(top)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        combos = (
            self.sort_combo, self.level_combo, self.flag_combo, self.status_combo,
            self.marks_combo,
        )  # fmt: skip
        for combo in combos:
            combo.currentIndexChanged.connect(self._emit)
        self.stack_bursts.toggled.connect(self._emit)
        self.direction.toggled.connect(self._update_direction_text)
        self.direction.toggled.connect(self._emit)
        self.min_overall.valueChanged.connect(self._emit)
        self.min_stars.valueChanged.connect(self._emit)
        self.name_filter.textChanged.connect(lambda _text: self._debounce.start())

    def query(self) -> GalleryQuery:
        """The query the controls describe now."""
        minimum = self.min_overall.value()
        return replace(
            self._base,
            sort_key=self.sort_combo.currentData(),
            descending=self.direction.isChecked(),
            levels=self.level_combo.currentData(),
            min_overall=minimum if minimum > 0 else None,
            flags=self.flag_combo.currentData(),
            min_stars=self.min_stars.value(),
            statuses=self.status_combo.currentData(),
            text=self.name_filter.text().strip(),
            marks=self.marks_combo.currentData(),
            best_of_bursts=self.stack_bursts.isChecked(),
        )

    def set_sort(self, key: str, descending: bool, emit: bool = True) -> None:
        """Show a sort chosen elsewhere (a table header click); emit the new query if asked."""
        index = self.sort_combo.findData(key)
        if index < 0:
            return
        self.blockSignals(True)
        self.sort_combo.setCurrentIndex(index)
        self.direction.setChecked(descending)
        self.blockSignals(False)
        if emit:
            self._emit()

    def set_taste(self, offered: bool, reason: str) -> None:
        """Offer "Your taste" only once it has earned it; the item's tooltip says why (not)."""
        index = self.sort_combo.findData("taste")
        item = self.sort_combo.model().item(index)
        item.setEnabled(offered)
        item.setToolTip(reason if offered else TASTE_OFF_TIP.format(reason=reason))
        if not offered and self.sort_combo.currentIndex() == index:
            self.sort_combo.setCurrentIndex(self.sort_combo.findData("overall"))

    def set_flags(self, flags: frozenset[Flag]) -> None:
        """Select a flag filter (e.g. "Picked" for exporting picks)."""
        for i in range(self.flag_combo.count()):
            if self.flag_combo.itemData(i) == flags:
                self.flag_combo.setCurrentIndex(i)
                return

    def focus_name_filter(self) -> None:
        """Put the cursor in the file-name filter (Ctrl+F)."""
        self.name_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.name_filter.selectAll()

    def show_resort_hint(self, visible: bool) -> None:
        """Say that new scores arrived since the last sort (rows stay put until asked)."""
        self.resort_hint.setText("New scores — press F5 to re-sort")
        self.resort_hint.setVisible(visible)

    def show_profile_mix(self, mix: ProfileMix) -> None:
        """Say when the list mixes quick scores with full ones: sorting then compares a coarse
        look at some photos with a fine one at others."""
        self.profile_mix.setVisible(mix.mixed)
        self.profile_mix.setText(profile_mix_text(mix))
        self.profile_mix.setToolTip(
            "A quick score looks at the whole photo as one tile; a full score at up to Max "
            "tiles tiles. Quick scores are marked QUICK on their badge."
        )

    def _update_direction_text(self) -> None:
        self.direction.setText("↓ desc" if self.direction.isChecked() else "↑ asc")

    def _emit(self) -> None:
        if not self.signalsBlocked():
            self._debounce.stop()
            self.query_changed.emit(self.query())


def profile_mix_text(mix: ProfileMix) -> str:
    """ "12 of 40 scored quickly — full scores pending"; "" when no score is a quick one."""
    if not mix.mixed:
        return ""
    total = mix.quick + mix.full
    text = f"{mix.quick} of {total} scored quickly" if mix.full else f"All {total} scored quickly"
    if mix.full_pending == mix.quick:
        return text + " — full scores pending"
    if mix.full_pending:
        return text + f" — {mix.full_pending} full score(s) pending"
    return text + " (no full scores queued)"


def _combo(name: str, choices, tooltip: str) -> QComboBox:
    combo = QComboBox(objectName=name)
    # Long dimension names must not widen the window; the popup still shows them in full.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    combo.setToolTip(tooltip)
    for label, data in choices:
        combo.addItem(label, data)
    return combo
