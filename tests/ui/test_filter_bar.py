"""The filter bar turns its controls into GalleryQuery values; typing is debounced."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest  # noqa: E402

from humanaes_desktop.library.records import Flag, ImageStatus  # noqa: E402
from humanaes_desktop.ui.gallery.filter_bar import FilterBar  # noqa: E402


def choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not offered"
    combo.setCurrentIndex(index)


def test_controls_build_the_query(qtbot):
    bar = FilterBar()
    qtbot.addWidget(bar)
    queries = []
    bar.query_changed.connect(queries.append)
    choose(bar.sort_combo, "Environment")
    bar.direction.click()  # ascending
    choose(bar.level_combo, "Good and better")
    bar.min_overall.setValue(0.3)
    choose(bar.flag_combo, "Picked")
    bar.min_stars.setValue(2)
    choose(bar.status_combo, "Failed")
    query = queries[-1]
    assert (query.sort_key, query.descending) == ("environment", False)
    assert query.levels == frozenset({"good", "excellent"})
    assert query.min_overall == 0.3
    assert query.flags == frozenset({Flag.PICKED})
    assert query.min_stars == 2
    assert query.statuses == frozenset({ImageStatus.FAILED, ImageStatus.UNSUPPORTED})


def test_typing_a_name_runs_one_query_after_a_pause(qtbot):
    bar = FilterBar()
    qtbot.addWidget(bar)
    queries = []
    bar.query_changed.connect(queries.append)
    with qtbot.waitSignal(bar.query_changed, timeout=3000):
        QTest.keyClicks(bar.name_filter, "hopper")
    assert [q.text for q in queries] == ["hopper"]  # not one query per key stroke


def test_sort_from_a_header_click_updates_the_controls_once(qtbot):
    bar = FilterBar()
    qtbot.addWidget(bar)
    queries = []
    bar.query_changed.connect(queries.append)
    bar.set_sort("looks", False)
    assert bar.sort_combo.currentData() == "looks" and not bar.direction.isChecked()
    assert len(queries) == 1 and queries[0].sort_key == "looks"


def test_default_sort_name_is_shown_in_full(qtbot):
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.resize(bar.minimumSizeHint())  # the narrowest the window can make it
    bar.show()
    combo = bar.sort_combo
    assert combo.currentText() == "Overall (MetaVoter)"
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    assert field.width() >= combo.fontMetrics().horizontalAdvance(combo.currentText())
    assert "Overall (MetaVoter)" in combo.toolTip()
