"""The detail panel shows exactly what the assessment says, and says when there is nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtWidgets import QScrollArea

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, level_for
from humanaes_desktop.library.records import Flag, ImageStatus, Rating
from humanaes_desktop.ui.breakdown.detail_panel import DetailPanel
from humanaes_desktop.wording import rating_text
from tests.support.assessments import KNOWN_DIMENSIONS, detailed_assessment, make_detail


@pytest.fixture
def panel(qtbot):
    widget = DetailPanel()
    qtbot.addWidget(widget)
    widget.resize(420, 900)
    widget.show()
    return widget


def test_shows_the_values_of_a_known_assessment(panel, qtbot):
    panel.show_detail(make_detail(assessment=detailed_assessment(overall=0.712)))
    assert panel.overall_label.text() == "0.71"
    assert panel.level_label.text() == "GOOD"
    assert panel.fast_score_label.text() == "Fast score 0.64"
    rows = panel.bars.row_texts()
    for key in DIMENSION_KEYS:
        value = KNOWN_DIMENSIONS[key]
        assert rows[key] == (f"{value:.2f}", level_for(value)), key
    assert rows["facial_brightness"] == ("0.91", "excellent")
    assert rows["outfit"] == ("0.05", "bad")
    assert panel.radar.values() is not None and sorted(panel.radar.values()) == sorted(
        KNOWN_DIMENSIONS.values()
    )
    assert "Facial Brightness : excellent" in panel.expert_text.text()


def test_synthetic_model_is_clearly_marked(panel):
    panel.show_detail(make_detail(assessment=detailed_assessment(synthetic=True)))
    assert panel.synthetic_label.isVisible()
    assert "SYNTHETIC" in panel.synthetic_label.text()
    assert "SYNTHETIC" in panel.model_label.text()
    panel.show_detail(make_detail(assessment=detailed_assessment(synthetic=False)))
    assert not panel.synthetic_label.isVisible()
    assert "SYNTHETIC" not in panel.model_label.text()
    assert "KlingTeam/HumanAesExpert-1B @ b8f7ee3" in panel.model_label.text()


def test_provenance_lists_profile_device_and_time(panel):
    panel.show_detail(make_detail(assessment=detailed_assessment()))
    profile = panel.profile_label.text()
    assert "max tiles 6" in profile and "tiles used 3" in profile and "fast decode" in profile
    assert panel.runtime_label.text() == "cpu  ·  fp32  ·  3.50 s"  # an older row: no attention
    recorded = replace(detailed_assessment(), dtype="bf16", attention="sdpa")
    panel.show_detail(make_detail(assessment=recorded))
    assert panel.runtime_label.text() == "cpu  ·  bf16  ·  attention sdpa  ·  3.50 s"


def test_failed_image_shows_its_reason_and_no_scores(panel):
    detail = make_detail(
        status=ImageStatus.FAILED, failure_reason="truncated JPEG (file ends at 12 kB)"
    )
    panel.show_detail(detail)
    assert panel.failure_label.isVisible()
    assert "truncated JPEG (file ends at 12 kB)" in panel.failure_label.text()
    assert not panel.scores_box.isVisible()
    assert panel.overall_label.text() == "—"


def test_annotation_button_when_missing_and_its_signal_carries_the_id(panel, qtbot):
    panel.show_detail(make_detail(image_id=42, assessment=detailed_assessment(annotation=None)))
    assert panel.annotation_button.isVisible() and not panel.annotation_text.isVisible()
    with qtbot.waitSignal(panel.annotation_requested, timeout=1000) as blocker:
        panel.annotation_button.click()
    assert blocker.args == [42]
    assert not panel.annotation_button.isEnabled()  # no double requests while it runs


def test_annotation_off_hides_generate_annotation(panel):
    panel.show_detail(make_detail(image_id=7, assessment=detailed_assessment(annotation=None)))
    panel.set_annotation_on_demand(False)  # Settings → Annotation text: Off
    assert not panel.annotation_button.isVisible()
    panel.show_detail(make_detail(image_id=8, assessment=detailed_assessment(annotation=None)))
    assert not panel.annotation_button.isVisible()  # and it stays hidden for the next photo
    panel.set_annotation_on_demand(True)
    assert panel.annotation_button.isVisible()


def test_existing_annotation_is_shown_instead_of_the_button(panel):
    text = "A well-lit portrait with a clean background."
    panel.show_detail(make_detail(assessment=detailed_assessment(annotation=text)))
    assert panel.annotation_text.isVisible() and panel.annotation_text.text() == text
    assert not panel.annotation_button.isVisible()


def test_empty_states(panel):
    panel.show_detail(None)
    assert panel.empty_label.isVisible()
    panel.show_detail(make_detail(status=ImageStatus.QUEUED))
    assert not panel.empty_label.isVisible()
    assert "Not scored yet" in panel.status_label.text()
    assert not panel.scores_box.isVisible()


def test_rating_line():
    assert rating_text(Rating(stars=3, flag=Flag.PICKED, color="green")) == (
        "★★★☆☆  ·  Picked  ·  ● Green"
    )
    assert rating_text(Rating(stars=0, flag=Flag.REJECTED)) == "☆☆☆☆☆  ·  Rejected"


def test_preview_loads_off_thread_and_a_stale_load_never_wins(panel, qtbot):
    panel.show_detail(make_detail(photo="rocket.jpg", assessment=detailed_assessment()))
    panel.show_detail(make_detail(photo="camera.png", assessment=detailed_assessment()))
    qtbot.waitUntil(lambda: not panel.preview_pixmap().isNull(), timeout=5000)
    shown = panel.preview_pixmap()
    # camera.png is square (512x512); rocket.jpg is not, so a stale rocket would have another shape
    assert abs(shown.width() - shown.height()) <= 1
    assert panel.current_detail().row.file_name == "camera.png"


def test_synthetic_warning_is_not_clipped_at_the_default_panel_width(qtbot):
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.resize(340, 900)  # the panel's minimum; the window gives it 380 by default
    panel.show()
    panel.show_detail(make_detail(assessment=detailed_assessment(synthetic=True)))
    qtbot.waitExposed(panel)
    label = panel.synthetic_label
    body = panel.findChild(QScrollArea).widget()
    body.layout().activate()  # lay the panel out now, as the first paint would
    right_edge = label.mapTo(panel, label.rect().topRight()).x()
    assert right_edge < panel.width()  # the whole strip is on screen
    # not squeezed below what its text needs (Qt clips a label's text silently)
    assert label.width() >= label.minimumSizeHint().width()
    assert label.height() >= label.heightForWidth(label.width())


def test_colour_label_dot_is_drawn_in_its_colour(panel):
    from humanaes_desktop.ui.breakdown.palette import LABEL_HEX

    panel.show_detail(make_detail(assessment=detailed_assessment(), rating=Rating(color="blue")))
    text = panel.rating_label.text()
    assert LABEL_HEX["blue"] in text and "Blue" in text


def test_a_quick_score_says_so_and_whether_the_full_one_is_coming(panel):
    quick = detailed_assessment(max_tiles=1)
    panel.show_detail(make_detail(assessment=quick, full_pending=True))
    assert panel.profile_chip.isVisible()
    assert panel.profile_chip.text() == "QUICK SCORE · full pending"
    profile = panel.profile_label.text()
    assert "Quick score (the whole photo as one tile); the full score is queued" in profile
    assert "max tiles 1" in profile and "tiles used 1" in profile
    panel.show_detail(make_detail(assessment=quick))  # "quick only": nothing follows
    assert panel.profile_chip.text() == "QUICK SCORE"
    assert "queued" not in panel.profile_label.text()


def test_a_full_score_is_marked_full_and_never_pending(panel):
    panel.show_detail(make_detail(assessment=detailed_assessment(max_tiles=12), full_pending=False))
    assert panel.profile_chip.text() == "FULL SCORE"
    assert panel.profile_label.text().startswith("Full score (up to 12 tiles)")
    panel.show_detail(make_detail(status=ImageStatus.QUEUED))
    assert not panel.profile_chip.isVisible()  # no score: no claim either way


def test_a_failed_full_pass_keeps_the_quick_score_and_shows_why(panel):
    detail = make_detail(
        assessment=detailed_assessment(max_tiles=1),
        failure_reason="no full score: the model failed on this image",
    )
    panel.show_detail(detail)
    assert panel.scores_box.isVisible() and panel.overall_label.text() == "0.71"
    assert panel.failure_label.isVisible()
    assert "no full score: the model failed on this image" in panel.failure_label.text()
