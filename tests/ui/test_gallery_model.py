"""GalleryModel and GalleryController on a real Library (tmp SQLite, real files)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QAbstractItemModelTester  # noqa: E402

from humanaes_desktop.engine.dimensions import BY_KEY  # noqa: E402
from humanaes_desktop.library.records import (  # noqa: E402
    GalleryQuery,
    ImageRow,
    ImageStatus,
)
from humanaes_desktop.pipeline.events import AssessmentStored  # noqa: E402
from humanaes_desktop.ui.background.library_client import LibraryClient  # noqa: E402
from humanaes_desktop.ui.gallery.controller import GalleryController  # noqa: E402
from humanaes_desktop.ui.gallery.model import (  # noqa: E402
    MAX_CACHED_PAGES,
    PAGE_SIZE,
    Column,
    GalleryModel,
    ImageRowRole,
)
from humanaes_desktop.ui.gallery.view import GalleryView  # noqa: E402
from tests.support.assessments import make_assessment  # noqa: E402
from tests.support.libraries import KNOWN, UNSCORED, fill_library  # noqa: E402


@pytest.fixture
def filled(tmp_path):
    filled = fill_library(tmp_path / "library.sqlite3", tmp_path / "photos")
    yield filled
    filled.library.close()


@pytest.fixture
def gallery(qtbot, filled):
    client = LibraryClient(filled.library)
    model = GalleryModel(client.rows)
    view = GalleryView(model)
    qtbot.addWidget(view)
    controller = GalleryController(client, model, view)
    yield client, model, view, controller
    client.shutdown()


def run_query(qtbot, controller, query: GalleryQuery) -> None:
    before = controller.queries_run
    controller.set_query(query)
    qtbot.waitUntil(lambda: controller.queries_run > before, timeout=5000)


def names(model: GalleryModel) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def test_model_passes_qt_model_tester_on_real_rows(qtbot, filled):
    client = LibraryClient(filled.library)
    model = GalleryModel(client.rows)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_ids(filled.library.query_ids(GalleryQuery()))
    assert model.rowCount() == len(KNOWN) + 1
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            model.index(row, column).data(Qt.ItemDataRole.DisplayRole)
    model.refresh_ids(list(filled.ids.values()))
    model.set_ids([])
    assert tester is not None and model.rowCount() == 0
    client.shutdown()


def test_table_shows_known_scores_and_dimension_headers(qtbot, gallery, filled):
    client, model, view, controller = gallery
    run_query(qtbot, controller, GalleryQuery(sort_key="overall", descending=True))
    assert names(model)[:5] == [
        "a_red.png",
        "d_yellow.png",
        "c_blue.png",
        "e_cyan.png",
        "b_green.png",
    ]
    env_column = Column.FIRST_DIMENSION + BY_KEY["environment"].index
    header = model.headerData(env_column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
    assert header == "Environment"
    assert model.index(0, env_column).data() == "0.100"
    assert model.index(0, Column.OVERALL).data() == "0.910 (synthetic)"  # never a bare number
    assert model.index(0, Column.LEVEL).data() == "excellent"
    unscored = names(model).index(UNSCORED)
    assert model.index(unscored, Column.OVERALL).data() == "—"


def test_sorting_by_a_dimension_orders_rows_by_that_dimension(qtbot, gallery):
    _client, model, _view, controller = gallery
    run_query(qtbot, controller, GalleryQuery(sort_key="environment", descending=True))
    by_environment = sorted(KNOWN, key=lambda n: KNOWN[n][1], reverse=True)
    assert names(model)[: len(KNOWN)] == by_environment
    run_query(qtbot, controller, GalleryQuery(sort_key="environment", descending=False))
    assert [n for n in names(model) if n != UNSCORED] == by_environment[::-1]


def test_header_click_requests_a_query_sort(qtbot, gallery):
    _client, model, view, controller = gallery
    env_column = Column.FIRST_DIMENSION + BY_KEY["environment"].index
    with qtbot.waitSignal(model.sort_requested) as blocker:
        view.table.horizontalHeader().setSortIndicator(env_column, Qt.SortOrder.DescendingOrder)
    assert blocker.args == ["environment", True]


def test_filtering_by_level_and_minimum_score(qtbot, gallery):
    _client, model, _view, controller = gallery
    good_or_better = frozenset({"good", "excellent"})
    run_query(qtbot, controller, GalleryQuery(levels=good_or_better))
    assert names(model) == ["a_red.png", "d_yellow.png"]
    run_query(
        qtbot, controller, GalleryQuery(min_overall=0.5, sort_key="file_name", descending=False)
    )
    assert names(model) == ["a_red.png", "c_blue.png", "d_yellow.png"]
    run_query(
        qtbot,
        controller,
        GalleryQuery(statuses=frozenset({ImageStatus.QUEUED, ImageStatus.NEW})),
    )
    assert names(model) == [UNSCORED]


def test_new_query_keeps_selection_and_current_photo(qtbot, gallery, filled):
    _client, model, view, controller = gallery
    run_query(qtbot, controller, GalleryQuery(sort_key="overall"))
    chosen = [filled.ids["c_blue.png"], filled.ids["e_cyan.png"]]
    view.select_ids(chosen, current=filled.ids["e_cyan.png"])
    run_query(qtbot, controller, GalleryQuery(sort_key="environment"))
    assert sorted(view.selected_ids()) == sorted(chosen)
    assert view.current_id() == filled.ids["e_cyan.png"]
    # a filter that drops one of them keeps the other
    run_query(qtbot, controller, GalleryQuery(levels=frozenset({"fair"})))
    assert view.selected_ids() == [filled.ids["c_blue.png"]]


def test_assessment_stored_updates_row_in_place(qtbot, gallery, filled):
    _client, model, view, controller = gallery
    view.set_mode("table")
    view.resize(900, 120)  # small: the table scrolls
    view.show()
    run_query(qtbot, controller, GalleryQuery(sort_key="file_name", descending=False))
    target = filled.ids[UNSCORED]
    view.select_ids([target], current=target)
    view.scroll_to_id(target, at_top=True)
    scroll_before = view.table.verticalScrollBar().value()
    row = model.row_of(target)
    assert model.index(row, Column.OVERALL).data() == "—"
    jobs = filled.library.claim_jobs(5, "other-model", "p")
    job = next(j for j in jobs if j.image_id == target)
    filled.library.store_assessment(job, make_assessment(0.66, {"environment": 0.4}))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.dataChanged):
        controller.on_assessment_stored(AssessmentStored(target, 0.66, "good"))
    assert model.index(row, Column.OVERALL).data() == "0.660 (synthetic)"
    assert model.index(row, Column.LEVEL).data() == "good"
    assert resets == []  # updated in place: no reset
    assert model.row_of(target) == row  # no re-sort under the user's cursor
    assert view.selected_ids() == [target] and view.current_id() == target
    assert view.table.verticalScrollBar().value() == scroll_before
    assert controller.stale_order is False  # file-name order does not depend on scores
    controller.on_assessment_stored(AssessmentStored(target, 0.66, "good"))
    controller.update_query(sort_key="overall", descending=True)
    # 0.66 ranks third, after 0.91 and 0.72, once the user re-sorts
    qtbot.waitUntil(lambda: names(model)[2] == UNSCORED, timeout=5000)


def fake_rows(ids) -> list[ImageRow]:
    return [
        ImageRow(
            id=i,
            folder_id=1,
            path=f"/x/{i}.jpg",
            file_name=f"{i}.jpg",
            status=ImageStatus.NEW,
            failure_reason=None,
            size=1,
            mtime=0.0,
            width=None,
            height=None,
            captured_at=None,
            overall=None,
            level=None,
            dimensions=None,
            synthetic=None,
        )  # fmt: skip
        for i in ids
    ]


def test_row_cache_fetches_pages_lazily_and_stays_bounded():
    requests: list[int] = []

    def fetch(ids):
        requests.append(len(ids))
        return fake_rows(ids)

    model = GalleryModel(fetch)
    model.set_ids(range(100_000))
    assert requests == []  # nothing loaded until a view asks
    assert model.index(5, Column.NAME).data() == "5.jpg"
    assert requests == [PAGE_SIZE]
    model.index(7, Column.OVERALL).data()
    assert requests == [PAGE_SIZE]  # same page: cached
    for row in range(0, 100_000, PAGE_SIZE):
        model.index(row, Column.NAME).data(ImageRowRole)
    assert model.cached_rows <= PAGE_SIZE * MAX_CACHED_PAGES
    assert model.row_of(99_999) == 99_999


def test_synthetic_rows_raise_the_flag(qtbot, gallery):
    _client, model, _view, controller = gallery
    run_query(qtbot, controller, replace(GalleryQuery(), sort_key="overall"))
    with qtbot.waitSignal(model.synthetic_changed) as blocker:
        model.index(0, Column.NAME).data()
    assert blocker.args == [True]


def test_table_and_grid_badges_say_which_scores_are_quick(qtbot, tmp_path):
    from humanaes_desktop.ui.gallery.delegate import badge_tags

    filled = fill_library(tmp_path / "lib.sqlite3", tmp_path / "photos", quick={"a_red.png"})
    try:
        client = LibraryClient(filled.library)
        model = GalleryModel(client.rows)
        model.set_ids(filled.library.query_ids(GalleryQuery(sort_key="file_name")))
        rows = {model.index(r, Column.NAME).data(): r for r in range(model.rowCount())}
        profile = {name: model.index(r, Column.PROFILE).data() for name, r in rows.items()}
        assert profile["a_red.png"] == "Quick" and profile["b_green.png"] == "Full"
        assert profile[UNSCORED] == ""  # no score, no claim
        tip = model.index(rows["a_red.png"], Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
        assert "Quick score (the whole photo as one tile)" in tip
        tags = {name: badge_tags(model.image_row(r)) for name, r in rows.items()}
        assert tags["a_red.png"] == ["SYN", "QUICK"]
        assert tags["b_green.png"] == ["SYN"] and tags[UNSCORED] == []
        header = model.headerData(Column.PROFILE, Qt.Orientation.Horizontal)
        assert header == "Profile"
        client.shutdown()
    finally:
        filled.library.close()
