"""The detail panel: one photo's preview, its scores, why it got them, and how they were made."""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library.records import ImageDetail, ImageStatus, Rating
from humanaes_desktop.taste.state import TasteState
from humanaes_desktop.ui.background.image_loader import DecodedImage, ImageLoader, fit_pixmap
from humanaes_desktop.ui.breakdown.compare_view import culling_text
from humanaes_desktop.ui.breakdown.dimension_bars import DimensionBars, format_score
from humanaes_desktop.ui.breakdown.palette import (
    FAILED_HEX,
    QUICK_HEX,
    SYNTHETIC_HEX,
    label_color,
    level_color,
)
from humanaes_desktop.ui.breakdown.radar_chart import RadarChart, muted_css
from humanaes_desktop.ui.breakdown.taste_section import TasteSection
from humanaes_desktop.wording import describe_score, rating_text

PREVIEW_DECODE_SIZE = QSize(1600, 1600)  # enough for a sharp preview on a high-DPI panel
PREVIEW_MAX_HEIGHT = 360

_STATUS_TEXT = {
    ImageStatus.NEW: "Not scored yet.",
    ImageStatus.QUEUED: "Not scored yet — waiting in the queue.",
    ImageStatus.SCORING: "Being scored now…",
    ImageStatus.MISSING: "The file is missing (moved, deleted or on an unplugged drive).",
}


def rating_html(rating: Rating) -> str:
    """The rating line as rich text: the colour label's dot is drawn in its colour."""
    text = html.escape(rating_text(rating))
    color = label_color(rating.color)
    if color is not None:
        text = text.replace("●", f'<span style="color: {color.name()};">●</span>')
    return text


def _section_title(text: str, muted: str) -> QLabel:
    label = QLabel(text.upper())
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 0.85)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    label.setFont(font)
    label.setStyleSheet(f"color: {muted}; padding-top: 10px;")
    return label


def _wrapping_label(name: str, selectable: bool = True) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class DetailPanel(QWidget):
    """Shows an ImageDetail; asks for an annotation through `annotation_requested(image_id)`."""

    annotation_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._detail: ImageDetail | None = None
        self._annotation_on_demand = True  # Settings → Annotation text is not "Off"
        self._preview_pixmap: QPixmap | None = None
        self._muted = muted_css(self)
        self._loader = ImageLoader(self)
        self._loader.loaded.connect(self._on_loader_loaded)
        self._stack = QStackedWidget()
        self.empty_label = QLabel("Select a photo to see its aesthetic breakdown.")
        self.empty_label.setObjectName("empty_label")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(f"color: {self._muted}; font-size: 14px; padding: 24px;")
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self._build_content())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)
        self.setMinimumWidth(340)
        self.show_detail(None)

    # ----------------------------------------------------------------- layout
    def _build_content(self) -> QScrollArea:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 12, 14, 16)
        layout.setSpacing(6)
        self._build_header(layout)
        layout.addLayout(self._build_score_row())
        # Right under the score: the user's own view of the photo, before the model's breakdown.
        self.taste_box = QWidget(objectName="taste_box")
        taste_layout = QVBoxLayout(self.taste_box)
        taste_layout.setContentsMargins(0, 0, 0, 0)
        taste_layout.addWidget(_section_title("Your taste", self._muted))
        self.taste = TasteSection(self._muted)
        taste_layout.addWidget(self.taste)
        self.taste_box.setVisible(False)
        layout.addWidget(self.taste_box)
        self.scores_box = QWidget()
        scores_layout = QVBoxLayout(self.scores_box)
        scores_layout.setContentsMargins(0, 0, 0, 0)
        scores_layout.addWidget(_section_title("Aesthetic breakdown", self._muted))
        self.radar = RadarChart()
        scores_layout.addWidget(self.radar)
        self.bars = DimensionBars()
        scores_layout.addWidget(self.bars)
        scores_layout.addLayout(self._build_text_sections())
        layout.addWidget(self.scores_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        return scroll

    def _build_header(self, layout: QVBoxLayout) -> None:
        """Preview, file name, size/status line, rating line and the failure box."""
        self.preview_label = QLabel()
        self.preview_label.setObjectName("preview_label")
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_label.setMinimumHeight(200)
        self.preview_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.preview_label.setStyleSheet("background: rgba(0,0,0,60); border-radius: 6px;")
        layout.addWidget(self.preview_label)
        self.file_label = _wrapping_label("file_label")
        bold = QFont(self.file_label.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        self.file_label.setFont(bold)
        layout.addWidget(self.file_label)
        self.status_label = _wrapping_label("status_label")
        self.status_label.setStyleSheet(f"color: {self._muted};")
        layout.addWidget(self.status_label)
        self.rating_label = _wrapping_label("rating_label")
        layout.addWidget(self.rating_label)
        self.failure_label = _wrapping_label("failure_label")
        self.failure_label.setStyleSheet(
            f"background: {FAILED_HEX}; color: #f5b7b1; border-left: 4px solid #e74c3c;"
            " border-radius: 4px; padding: 8px;"
        )
        layout.addWidget(self.failure_label)
        self.sidecar_label = _wrapping_label("sidecar_label")  # XMP sidecar state, when notable
        self.sidecar_label.setVisible(False)
        layout.addWidget(self.sidecar_label)

    def _build_score_row(self) -> QVBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(12)
        self.overall_label = QLabel()
        self.overall_label.setObjectName("overall_label")
        big = QFont(self.overall_label.font())
        big.setPointSizeF(big.pointSizeF() * 3.0)
        big.setBold(True)
        self.overall_label.setFont(big)
        self.overall_label.setToolTip("MetaVoter score: the model's official overall score")
        self.level_label = QLabel()
        self.level_label.setObjectName("level_label")
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(self.level_label, 0, Qt.AlignmentFlag.AlignLeft)
        self.fast_score_label = QLabel()
        self.fast_score_label.setObjectName("fast_score_label")
        self.fast_score_label.setStyleSheet(f"color: {self._muted};")
        self.fast_score_label.setToolTip("The single-pass score (LM head), for comparison")
        column.addWidget(self.fast_score_label)
        self.profile_chip = QLabel()
        self.profile_chip.setObjectName("profile_chip")
        column.addWidget(self.profile_chip, 0, Qt.AlignmentFlag.AlignLeft)
        self.synthetic_label = QLabel("SYNTHETIC — scores are meaningless")
        self.synthetic_label.setObjectName("synthetic_label")
        self.synthetic_label.setStyleSheet(
            f"background: {SYNTHETIC_HEX}; color: white; font-weight: bold;"
            " border-radius: 3px; padding: 2px 6px;"
        )
        self.synthetic_label.setToolTip("A synthetic model with random weights is loaded")
        # Its own full-width line under the score: beside the big number it was clipped.
        self.synthetic_label.setWordWrap(True)
        row.addWidget(self.overall_label, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addLayout(column, 1)
        block = QVBoxLayout()
        block.setSpacing(4)
        block.addLayout(row)
        block.addWidget(self.synthetic_label)
        return block

    def _build_text_sections(self) -> QVBoxLayout:
        layout = QVBoxLayout()
        layout.setSpacing(6)
        layout.addWidget(_section_title("Annotation", self._muted))
        self.annotation_text = _wrapping_label("annotation_text")
        layout.addWidget(self.annotation_text)
        self.annotation_button = QPushButton("Generate annotation")
        self.annotation_button.setObjectName("annotation_button")
        self.annotation_button.setToolTip("Score this photo again with annotation text, first")
        self.annotation_button.clicked.connect(self._on_annotation_button_clicked)
        layout.addWidget(self.annotation_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(_section_title("Expert assessment", self._muted))
        self.expert_text = _wrapping_label("expert_text")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self.expert_text.font().pointSizeF() * 0.92)
        self.expert_text.setFont(mono)
        layout.addWidget(self.expert_text)
        layout.addWidget(_section_title("How this score was produced", self._muted))
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(3)
        self.model_label = _wrapping_label("model_label")
        self.profile_label = _wrapping_label("profile_label")
        self.runtime_label = _wrapping_label("runtime_label")
        form.addRow("Model", self.model_label)
        form.addRow("Profile", self.profile_label)
        form.addRow("Run", self.runtime_label)
        layout.addLayout(form)
        return layout

    # ------------------------------------------------------------------ state
    def current_detail(self) -> ImageDetail | None:
        """The detail shown now (None: the empty state)."""
        return self._detail

    def show_detail(self, detail: ImageDetail | None) -> None:
        """Show this image's detail; None shows the empty state."""
        previous = self._detail
        self._detail = detail
        if detail is None:
            self._loader.cancel()
            self._preview_pixmap = None
            self._stack.setCurrentIndex(0)
            return
        self._stack.setCurrentIndex(1)
        if previous is None or previous.row.path != detail.row.path:
            self._request_preview(detail.row.path)
            self.sidecar_label.setVisible(False)  # the next photo's note comes separately
        self._show_header(detail)
        self._show_assessment(detail.assessment)
        if detail.assessment is not None:
            self._show_profile(detail)

    def _request_preview(self, path: str) -> None:
        self._preview_pixmap = None
        self.preview_label.setPixmap(QPixmap())
        self.preview_label.setText("Loading preview…")
        self.preview_label.setFixedHeight(220)
        self._loader.request(path, PREVIEW_DECODE_SIZE)

    def _show_header(self, detail: ImageDetail) -> None:
        row = detail.row
        self.file_label.setText(row.file_name)
        self.file_label.setToolTip(row.path)
        self.status_label.setText(self._status_text(detail))
        self.rating_label.setText(rating_html(row.rating))
        failed = row.status in (ImageStatus.FAILED, ImageStatus.UNSUPPORTED)
        # A scored photo can carry a reason too: its full pass (or a re-score) failed.
        self.failure_label.setVisible(failed or bool(row.failure_reason))
        if failed:
            reason = row.failure_reason or "no reason was recorded"
            self.failure_label.setText(f"Could not score this photo: {reason}")
        elif row.failure_reason:
            self.failure_label.setText(
                f"The score shown stays; scoring again failed: {row.failure_reason}"
            )

    def show_sidecar_note(self, image_id: int, text: str, problem: bool) -> None:
        """A line about the photo's XMP sidecar ("" hides it); a problem is shown as an error."""
        if self._detail is None or self._detail.row.id != image_id:
            return  # an answer about a photo no longer shown
        self.sidecar_label.setVisible(bool(text))
        self.sidecar_label.setText(text)
        style = f"color: {self._muted};"
        if problem:
            style = (
                f"background: {FAILED_HEX}; color: #f5b7b1; border-left: 4px solid #e67e22;"
                " border-radius: 4px; padding: 8px;"
            )
        self.sidecar_label.setStyleSheet(style)

    @classmethod
    def _status_text(cls, detail: ImageDetail) -> str:
        line = cls._file_status(detail)
        culled = culling_text(detail.row)  # the first pass's verdict, there before any model
        return f"{line}\n{culled}" if culled else line

    @staticmethod
    def _file_status(detail: ImageDetail) -> str:
        row = detail.row
        size = f"{row.width} × {row.height} px  ·  " if row.width and row.height else ""
        size += f"{row.size / 1e6:.1f} MB"
        if detail.assessment is not None and detail.assessed_at is not None:
            when = datetime.fromtimestamp(detail.assessed_at).strftime("%Y-%m-%d %H:%M")
            return f"{size}  ·  scored {when}"
        if detail.assessment is None and row.status in _STATUS_TEXT:
            return f"{size}  ·  {_STATUS_TEXT[row.status]}"
        return size

    def _show_assessment(self, assessment: Assessment | None) -> None:
        has = assessment is not None
        self.scores_box.setVisible(has)
        self.level_label.setVisible(has)
        self.fast_score_label.setVisible(has)
        self.profile_chip.setVisible(has)
        self.synthetic_label.setVisible(has and assessment.synthetic)
        if assessment is None:
            self.overall_label.setText("—")
            self.overall_label.setStyleSheet(f"color: {self._muted};")
            self.radar.set_values(None)
            self.bars.set_values(None)
            return
        colour = level_color(assessment.level).name()
        self.overall_label.setText(format_score(assessment.overall))
        self.overall_label.setStyleSheet(f"color: {colour};")
        self.level_label.setText(assessment.level.upper())
        self.level_label.setStyleSheet(
            f"background: {colour}; color: white; font-weight: bold;"
            " border-radius: 4px; padding: 2px 10px; letter-spacing: 1px;"
        )
        self.fast_score_label.setText(f"Fast score {format_score(assessment.fast_score)}")
        self.radar.set_values(assessment.dimensions, assessment.overall)
        self.bars.set_values(assessment.dimensions)
        self._show_texts(assessment)
        self._show_provenance(assessment)

    def _show_texts(self, assessment: Assessment) -> None:
        annotation = assessment.annotation
        self.annotation_text.setVisible(bool(annotation))
        self.annotation_text.setText(annotation or "")
        self.annotation_button.setVisible(not annotation and self._annotation_on_demand)
        self.annotation_button.setEnabled(True)
        self.annotation_button.setText("Generate annotation")
        self.expert_text.setText(assessment.expert_text.strip() or "—")

    def set_annotation_on_demand(self, allowed: bool) -> None:
        """Offer "Generate annotation" or not (Settings → Annotation text "Off" hides it)."""
        self._annotation_on_demand = allowed
        if self._detail is not None and self._detail.assessment is not None:
            self._show_texts(self._detail.assessment)
        else:
            self.annotation_button.setVisible(False)

    def _show_provenance(self, assessment: Assessment) -> None:
        model = assessment.model
        revision = model.revision[:7] if len(model.revision) >= 40 else model.revision
        model_text = f"{model.repo} @ {revision}"
        if model.weights_sha256:
            model_text += f"\nweights sha256 {model.weights_sha256[:12]}…"
        if model.synthetic:
            model_text += "\nSYNTHETIC — random weights, scores are meaningless"
        self.model_label.setText(model_text)
        timings = assessment.timings
        total = timings.get("total", sum(timings.values()) if timings else None)
        took = f"  ·  {total:.2f} s" if total is not None else ""
        attention = f"  ·  attention {assessment.attention}" if assessment.attention else ""
        self.runtime_label.setText(f"{assessment.device}  ·  {assessment.dtype}{attention}{took}")

    def show_taste(self, state: TasteState | None, score: float | None) -> None:
        """The learnt taste's view of the photo shown (None: no taste section at all)."""
        self.taste_box.setVisible(state is not None and self._detail is not None)
        if state is not None:
            self.taste.show_taste(state, score)

    def _show_profile(self, detail: ImageDetail) -> None:
        """Quick or full: on the chip under the score and in "how this score was produced"."""
        assessment = detail.assessment
        assert assessment is not None
        profile = assessment.profile
        quick = ProfileKind.of(profile.max_tiles) is ProfileKind.QUICK
        if quick:
            follows = "; the full score is queued" if detail.full_pending else ""
            chip, colour = (
                f"QUICK SCORE{' · full pending' if detail.full_pending else ''}",
                QUICK_HEX,
            )
        else:
            follows, chip, colour = "", "FULL SCORE", self._muted
        self.profile_chip.setText(chip)
        self.profile_chip.setStyleSheet(
            f"color: {colour}; border: 1px solid {colour}; border-radius: 3px;"
            " padding: 1px 6px; font-weight: bold;"
        )
        self.profile_chip.setToolTip(describe_score(profile.max_tiles).capitalize() + follows)
        self.profile_label.setText(
            f"{describe_score(profile.max_tiles).capitalize()}{follows}\n"
            f"max tiles {profile.max_tiles}  ·  tiles used {assessment.tiles}"
            f"  ·  {profile.input_size} px  ·  {profile.decode} decode"
        )

    # ---------------------------------------------------------------- preview
    def _on_loader_loaded(self, result: DecodedImage) -> None:
        if self._detail is None or result.path != self._detail.row.path:
            return
        if result.image is None:
            self.preview_label.setText(f"No preview: {result.error}")
            return
        self._preview_pixmap = QPixmap.fromImage(result.image)  # GUI thread: pixmaps live here
        self._fit_preview()

    def _fit_preview(self) -> None:
        if self._preview_pixmap is None:
            return
        box = QSize(max(100, self.preview_label.width()), PREVIEW_MAX_HEIGHT)
        scaled = fit_pixmap(self._preview_pixmap, box, self.devicePixelRatioF())
        self.preview_label.setFixedHeight(max(round(scaled.deviceIndependentSize().height()), 120))
        self.preview_label.setPixmap(scaled)

    def preview_pixmap(self) -> QPixmap:
        """The preview currently displayed (null while loading)."""
        return self.preview_label.pixmap()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_preview()

    def _on_annotation_button_clicked(self) -> None:
        if self._detail is None:
            return
        self.annotation_button.setEnabled(False)
        self.annotation_button.setText("Annotation requested…")
        self.annotation_requested.emit(self._detail.row.id)
