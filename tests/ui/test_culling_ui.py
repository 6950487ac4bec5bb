"""Culling in the window: first-pass marks on grid cells before any model, filters on them,
bursts stacked to their suggested frame, compare on a burst with the reasons, and accepting
the suggested picks as one undoable batch."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from test_main_window import open_window  # noqa: E402

from humanaes_desktop.library.records import Flag  # noqa: E402
from humanaes_desktop.ui.breakdown.compare_view import culling_text  # noqa: E402
from humanaes_desktop.ui.gallery.culling_marks import mark_texts, stack_text  # noqa: E402
from humanaes_desktop.ui.window.main_window import ModelState  # noqa: E402
from tests.support.culling_library import build_analysed, open_copy  # noqa: E402


@pytest.fixture(scope="module")
def template(tmp_path_factory, generated_shoot):
    root = tmp_path_factory.mktemp("culling_ui")
    photos = [*generated_shoot.bursts["astronaut"], *generated_shoot.bracket]
    build_analysed(root / "shoot", root / "template.sqlite3", photos)
    return root / "template.sqlite3"


@pytest.fixture
def analysed(template, tmp_path):
    library = open_copy(template, tmp_path / "library.sqlite3")
    yield library
    library.close()


def _rows(window):
    model = window.model
    rows = [model.image_row(r) for r in range(model.rowCount())]
    return {row.file_name: row for row in rows if row is not None}


def test_marks_and_stacks_show_without_a_model(qtbot, analysed):
    window, client, _bridge, _worker = open_window(qtbot, analysed, ModelState())
    qtbot.waitUntil(lambda: window.model.rowCount() == 11, timeout=5000)
    rows = _rows(window)
    assert "eyes closed" in mark_texts(rows["astronaut_burst02.jpg"])
    assert "soft" in mark_texts(rows["astronaut_burst06.jpg"])
    assert "1 face" in mark_texts(rows["astronaut_burst00.jpg"])
    assert stack_text(rows["astronaut_burst00.jpg"]) == "▣ 8"
    assert stack_text(rows["bracket_0.jpg"]) == "▣ bracket 3"
    window.filter_bar.marks_combo.setCurrentIndex(2)  # eyes closed
    qtbot.waitUntil(lambda: set(_rows(window)) == {"astronaut_burst02.jpg"}, timeout=5000)
    window.filter_bar.marks_combo.setCurrentIndex(0)
    window.filter_bar.stack_bursts.setChecked(True)  # one stack per burst, its pick on top
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=5000)
    stacked = _rows(window)
    pick = next(row for row in stacked.values() if row.culling.group_kind == "burst")
    assert pick.culling.is_pick and pick.file_name != "astronaut_burst02.jpg"
    client.shutdown()


def test_compare_opens_on_the_burst_with_its_reasons(qtbot, analysed):
    window, client, _bridge, _worker = open_window(qtbot, analysed, ModelState())
    qtbot.waitUntil(lambda: window.model.rowCount() == 11, timeout=5000)
    blink = _rows(window)["astronaut_burst02.jpg"].id
    window.gallery.select_ids([blink], current=blink)
    window.culling.compare.trigger()
    details = window.pages.compare_view.details()
    assert len(details) == 8  # the whole burst, though one photo was selected
    assert details[0].row.culling.is_pick  # the suggested frame comes first
    assert culling_text(details[0].row).startswith("★ suggested")
    texts = {d.row.file_name: culling_text(d.row) for d in details}
    assert texts["astronaut_burst02.jpg"] == "eyes closed"
    client.shutdown()


def test_accepting_the_picks_is_undone_in_one_step(qtbot, analysed):
    window, client, _bridge, _worker = open_window(qtbot, analysed, ModelState())
    qtbot.waitUntil(lambda: window.model.rowCount() == 11, timeout=5000)
    window.culling.accept_picks.trigger()
    picked = lambda: [r for r in analysed.rows(analysed.query_ids(_all())) if r.rating.flag]  # noqa: E731
    qtbot.waitUntil(lambda: len(picked()) == 1, timeout=5000)
    assert picked()[0].culling.is_pick and picked()[0].rating.flag == Flag.PICKED
    qtbot.waitUntil(lambda: _rows(window)[picked()[0].file_name].rating.flag == Flag.PICKED)
    window.culling.undo_picks.trigger()
    qtbot.waitUntil(lambda: not picked(), timeout=5000)
    client.shutdown()


def _all():
    from humanaes_desktop.library.records import GalleryQuery

    return GalleryQuery(sort_key="file_name")
