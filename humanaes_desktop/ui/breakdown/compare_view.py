"""Compare 2-9 photos (a selection, or a burst) side by side: previews, overall scores, and dimension rows aligned.

Each dimension is one grid row across all photos, so the eye compares straight across; the best
value of each row is outlined and bold.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.engine.culling.best import REASON_TEXT
from humanaes_desktop.engine.dimensions import GROUP_TITLES, GROUPS, dimensions_in_group
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.records import ImageDetail, ImageRow
from humanaes_desktop.ui.background.image_loader import DecodedImage, ImageLoader, fit_pixmap
from humanaes_desktop.ui.breakdown.dimension_bars import ScoreBar, bar_label, format_score
from humanaes_desktop.ui.breakdown.palette import QUICK_HEX, SYNTHETIC_HEX, level_color
from humanaes_desktop.ui.breakdown.radar_chart import group_color, muted_css
from humanaes_desktop.wording import describe_score, rating_text

MAX_COMPARED = 9  # a whole burst, as far as columns stay readable
COMPARE_PREVIEW = QSize(320, 240)
OVERALL = "overall"


def best_columns(details: Sequence[ImageDetail]) -> dict[str, set[int]]:
    """For 'overall' and each dimension key: the columns holding the highest value (ties: all).

    Photos without an assessment take no part; a row where nobody has a value is left out.
    """
    best: dict[str, set[int]] = {}
    keys = [OVERALL] + [d.key for g in GROUPS for d in dimensions_in_group(g)]
    for key in keys:
        values = {}
        for column, detail in enumerate(details):
            if detail.assessment is None:
                continue
            a = detail.assessment
            values[column] = a.overall if key == OVERALL else a.dimensions[key]
        if values:
            top = max(values.values())
            best[key] = {c for c, v in values.items() if abs(v - top) < 1e-9}
    return best


class _ScoreCell(QWidget):
    """A bar and its value; outlined and bold when it is the best of its row."""

    def __init__(self, value: float | None, is_best: bool):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.bar = ScoreBar()
        self.bar.set_value(value, highlighted=is_best)
        self.value_label = QLabel(format_score(value))
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("0.000"))
        self.is_best = is_best
        if is_best:
            font = QFont(self.value_label.font())
            font.setBold(True)
            self.value_label.setFont(font)
            self.value_label.setToolTip("Best of the compared photos")
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.value_label)


class _PreviewLabel(QLabel):
    """A preview label that says when its width changed (so its photo is fitted again)."""

    resized = Signal()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.resized.emit()


class CompareView(QWidget):
    """Shows up to four ImageDetails in aligned columns (`show_details`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._details: list[ImageDetail] = []
        self._loaders: list[ImageLoader] = []
        self._previews: list[QLabel] = []
        self._cells: dict[tuple[str, int], _ScoreCell] = {}
        self._muted = muted_css(self)
        self._body: QWidget | None = None
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._scroll)
        self.show_details([])

    def details(self) -> list[ImageDetail]:
        """The details shown, in column order."""
        return list(self._details)

    def cell(self, key: str, column: int) -> _ScoreCell | None:
        """The score cell of row `key` ('overall' or a dimension key) in `column`."""
        return self._cells.get((key, column))

    def show_details(self, details: list[ImageDetail]) -> None:
        """Show these photos side by side (the first nine; fewer than two shows a hint)."""
        for loader in self._loaders:
            loader.cancel()  # a preview still decoding belongs to the old set: drop it
            loader.deleteLater()
        self._details = list(details[:MAX_COMPARED])
        self._loaders, self._previews, self._cells = [], [], {}
        self._sources: dict[int, QPixmap] = {}  # decoded previews, re-fitted when columns resize
        self._titles: dict[int, QLabel] = {}
        body = QWidget()
        if len(self._details) < 2:
            hint = QLabel(
                "Select two to nine photos to compare them side by side, or one photo of a burst."
            )
            hint.setObjectName("compare_hint")
            hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
            hint.setStyleSheet(f"color: {self._muted}; font-size: 14px; padding: 24px;")
            QVBoxLayout(body).addWidget(hint)
        else:
            self._fill_grid(QGridLayout(body))
        self._scroll.setWidget(body)  # deletes the previous body and its widgets
        self._body = body

    def _fill_grid(self, grid: QGridLayout) -> None:
        grid.setContentsMargins(16, 12, 16, 16)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(4)
        best = best_columns(self._details)
        for column, detail in enumerate(self._details, start=1):
            grid.setColumnStretch(column, 1)
            grid.addWidget(self._preview_for(detail), 0, column)
            grid.addWidget(self._title_for(detail), 1, column)
            grid.addWidget(self._overall_for(detail, column - 1, best), 2, column)
            grid.addWidget(_culling_label(detail.row, column - 1), 3, column)
        row = 4
        for group in GROUPS:
            header = QLabel(GROUP_TITLES[group].upper())
            header.setStyleSheet(
                f"color: {group_color(group, self).name()}; font-weight: bold; padding-top: 8px;"
            )
            grid.addWidget(header, row, 0, 1, len(self._details) + 1)
            row += 1
            for dim in dimensions_in_group(group):
                name = QLabel(bar_label(dim))
                name.setToolTip(dim.name)
                grid.addWidget(name, row, 0)
                for column, detail in enumerate(self._details):
                    value = (
                        None if detail.assessment is None else detail.assessment.dimensions[dim.key]
                    )
                    cell = _ScoreCell(value, column in best.get(dim.key, set()))
                    self._cells[(dim.key, column)] = cell
                    grid.addWidget(cell, row, column + 1)
                row += 1
        grid.setRowStretch(row, 1)

    def _preview_for(self, detail: ImageDetail) -> QLabel:
        label = _PreviewLabel("Loading…")
        index = len(self._previews)
        # A preview decoded before the columns had their final width would stay too small.
        label.resized.connect(lambda: self._on_preview_resized(index))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setFixedHeight(COMPARE_PREVIEW.height())
        # Up to four columns get room; a whole burst (up to nine) must fit the window.
        label.setMinimumWidth(160 if len(self._details) <= 4 else 100)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        label.setStyleSheet("background: rgba(0,0,0,60); border-radius: 6px;")
        loader = ImageLoader(self)
        loader.loaded.connect(lambda result, i=index: self._on_preview_loaded(i, result))
        loader.request(detail.row.path, COMPARE_PREVIEW * 2)
        self._loaders.append(loader)
        self._previews.append(label)
        return label

    def update_ratings(self, rows: list[ImageRow]) -> None:
        """Show new stars / flags / colour labels of compared photos (culling while comparing)."""
        for row in rows:
            title = self._titles.get(row.id)
            if title is not None:
                title.setText(_title_text(row))

    def _title_for(self, detail: ImageDetail) -> QLabel:
        title = QLabel(_title_text(detail.row))
        title.setWordWrap(True)  # the rating goes on a second line rather than off the edge
        self._titles[detail.row.id] = title
        title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        title.setToolTip(detail.row.path)
        font = QFont(title.font())
        font.setBold(True)
        title.setFont(font)
        return title

    def _overall_for(self, detail: ImageDetail, column: int, best: dict[str, set[int]]) -> QWidget:
        box = QWidget()
        # Ignore this row's width so every photo column gets the same width.
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 4)
        assessment = detail.assessment
        score = QLabel(format_score(assessment.overall if assessment else None))
        score.setObjectName(f"compare_overall_{column}")
        font = QFont(score.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        score.setFont(font)
        layout.addWidget(score)
        if assessment is None:
            reason = detail.row.failure_reason or "not scored yet"
            note = QLabel(reason)
            note.setStyleSheet(f"color: {self._muted};")
            layout.addWidget(note, 1)
            return box
        colour = level_color(assessment.level).name()
        score.setStyleSheet(f"color: {colour};")
        level = QLabel(assessment.level.upper())
        level.setStyleSheet(
            f"background: {colour}; color: white; font-weight: bold; border-radius: 4px;"
            " padding: 1px 8px;"
        )
        layout.addWidget(level)
        for tag in self._tags_for(detail, column in best.get(OVERALL, set()), column):
            layout.addWidget(tag)
        layout.addStretch(1)
        return box

    @staticmethod
    def _tags_for(detail: ImageDetail, is_best: bool, column: int) -> list[QLabel]:
        """'best' for the top overall score; SYNTHETIC whenever a synthetic model scored it;
        QUICK for a quick score (comparing it with a full one compares a coarser look)."""
        tags = []
        if is_best:
            crown = QLabel("▲ highest")
            crown.setObjectName(f"compare_best_{column}")
            crown.setToolTip("The highest overall score of the photos compared")
            crown.setStyleSheet("font-weight: bold;")
            tags.append(crown)
        if detail.assessment is not None and detail.assessment.synthetic:
            # "SYN" as on the grid badges: beside "▲ highest" the long word was clipped.
            tag = QLabel("SYN")
            tag.setToolTip("Synthetic model: random weights, scores are meaningless")
            tag.setStyleSheet(
                f"background: {SYNTHETIC_HEX}; color: white; font-weight: bold;"
                " border-radius: 3px; padding: 1px 6px;"
            )
            tags.append(tag)
        if detail.assessment is not None and detail.row.profile_kind is ProfileKind.QUICK:
            quick = QLabel("QUICK")
            quick.setObjectName(f"compare_quick_{column}")
            quick.setToolTip(describe_score(detail.assessment.profile.max_tiles).capitalize())
            quick.setStyleSheet(
                f"background: {QUICK_HEX}; color: white; font-weight: bold;"
                " border-radius: 3px; padding: 1px 6px;"
            )
            tags.append(quick)
        return tags

    def _on_preview_loaded(self, index: int, result: DecodedImage) -> None:
        if index >= len(self._previews):
            return
        label = self._previews[index]
        if result.image is None:
            label.setText(f"No preview: {result.error}")
            return
        self._sources[index] = QPixmap.fromImage(result.image)  # GUI thread: pixmaps live here
        self._fit_preview(index)

    def _on_preview_resized(self, index: int) -> None:
        if index in self._sources and index < len(self._previews):
            self._fit_preview(index)

    def _fit_preview(self, index: int) -> None:
        label = self._previews[index]
        box = QSize(max(label.width(), 160), COMPARE_PREVIEW.height())
        label.setPixmap(fit_pixmap(self._sources[index], box, self.devicePixelRatioF()))

    def previews_loaded(self) -> bool:
        """True when every compared photo's preview has been decoded (or failed)."""
        return all(
            index in self._sources or not label.text().startswith("Loading")
            for index, label in enumerate(self._previews)
        )

    def preview_pixmap(self, column: int) -> QPixmap:
        """The preview shown in `column` (null while it loads)."""
        return self._previews[column].pixmap()


def culling_text(row: ImageRow) -> str:
    """The first pass's verdict on a compared photo: "★ suggested · sharpest in burst, eyes
    open" for a burst's pick, its reasons or marks otherwise; "" before the first pass."""
    c = row.culling
    if c is None:
        return ""
    reasons = ", ".join(REASON_TEXT.get(r, r) for r in c.reasons if r != "keep_whole")
    parts = ["★ suggested" if c.is_pick else ""]
    parts.append(reasons or ", ".join(c.badges()))
    if c.group_kind and c.group_kind != "burst":
        parts.append(f"{c.group_kind.replace('_', ' ')}: keep all")
    return " · ".join(p for p in parts if p)


def _culling_label(row: ImageRow, column: int) -> QLabel:
    label = QLabel(culling_text(row))
    label.setObjectName(f"compare_culling_{column}")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    label.setFixedHeight(label.fontMetrics().lineSpacing() * 4 + 4)  # wraps, never clipped
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setToolTip("From the first pass: sharpness, eyes and exposure against the burst")
    return label


def _title_text(row: ImageRow) -> str:
    """The file name, then its rating when it has one ("a.jpg  ·  ★★★☆☆  ·  Picked")."""
    rating = row.rating
    if not (rating.stars or rating.flag or rating.color):
        return row.file_name
    return f"{row.file_name}\n{rating_text(rating)}"
