"""The real main window on a real Library: keyboard culling, live updates, folders, empty states."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QDialog  # noqa: E402

from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.records import Flag  # noqa: E402
from humanaes_desktop.pipeline.events import AssessmentStored, ProgressChanged, WorkerState  # noqa: E402
from humanaes_desktop.ui.gallery.model import Column  # noqa: E402
from humanaes_desktop.ui.window import commands as window_commands  # noqa: E402
from humanaes_desktop.ui.window.main_window import NO_PHOTOS_TEXT, ModelState  # noqa: E402
from tests.support.assessments import make_assessment  # noqa: E402
from tests.support.libraries import KNOWN, UNSCORED, fill_library, write_images  # noqa: E402
from tests.support.windows import focus_on, names, open_window  # noqa: E402


@pytest.fixture
def filled(tmp_path):
    filled = fill_library(tmp_path / "library.sqlite3", tmp_path / "photos")
    yield filled
    filled.library.close()


def test_keyboard_culling_writes_ratings_to_the_database(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    grid = window.gallery.grid
    plan = [
        ("a_red.png", Qt.Key.Key_P),
        ("b_green.png", Qt.Key.Key_X),
        ("c_blue.png", Qt.Key.Key_3),
    ]
    for name, key in plan:
        focus_on(qtbot, window, filled.ids[name])
        with qtbot.waitSignal(client.ratings_changed, timeout=5000):
            QTest.keyClick(grid, key)
    # the rows repaint from the committed values
    row = window.model.image_row(window.model.row_of(filled.ids["a_red.png"]))
    assert row.rating.flag == Flag.PICKED
    client.shutdown()
    filled.library.close()
    reopened = Library.open(filled.db_path)  # what is on disk, not in memory
    try:
        rows = {r.file_name: r for r in reopened.rows(list(filled.ids.values()))}
    finally:
        reopened.close()
    assert rows["a_red.png"].rating.flag == Flag.PICKED
    assert rows["b_green.png"].rating.flag == Flag.REJECTED
    assert rows["c_blue.png"].rating.stars == 3
    assert rows["d_yellow.png"].rating.flag == Flag.NONE and rows["d_yellow.png"].rating.stars == 0


def test_typing_in_the_name_filter_does_not_rate(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    focus_on(qtbot, window, filled.ids["a_red.png"])
    QTest.keyClick(window.gallery.grid, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.filter_bar.name_filter.hasFocus(), timeout=3000)
    QTest.keyClicks(window.filter_bar.name_filter, "px")
    qtbot.waitUntil(lambda: window.controller.query.text == "px", timeout=3000)
    client.wait_for_writes()
    assert filled.library.rows([filled.ids["a_red.png"]])[0].rating.flag == Flag.NONE
    client.shutdown()


def test_worker_event_from_another_thread_updates_the_row_in_place(qtbot, filled):
    window, client, bridge, _worker = open_window(qtbot, filled.library)
    target = filled.ids[UNSCORED]
    focus_on(qtbot, window, target)
    row = window.model.row_of(target)
    assert window.model.index(row, Column.OVERALL).data() == "—"
    job = next(j for j in filled.library.claim_jobs(5, "m", "p") if j.image_id == target)
    filled.library.store_assessment(job, make_assessment(0.97, {"environment": 0.5}))
    resets: list[bool] = []
    window.model.modelReset.connect(lambda: resets.append(True))
    worker_thread = threading.Thread(
        target=bridge.listener, args=(AssessmentStored(target, 0.97, "excellent"),)
    )
    worker_thread.start()
    worker_thread.join()
    qtbot.waitUntil(
        lambda: window.model.index(row, Column.OVERALL).data() == "0.970 (synthetic)", timeout=5000
    )
    assert resets == [] and window.model.row_of(target) == row
    assert window.gallery.selected_ids() == [target]
    # the detail panel follows the current photo's new score
    qtbot.waitUntil(lambda: window.detail_panel.current_detail().assessment is not None)
    assert window.detail_panel.current_detail().assessment.overall == pytest.approx(0.97)
    # sorted by overall (the default with a model): order is stale until F5
    assert window.filter_bar.resort_hint.isVisible()
    header = window.gallery.table.horizontalHeader()  # the header shows the real sort
    assert header.sortIndicatorSection() == Column.OVERALL
    QTest.keyClick(window.gallery.grid, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: names(window)[0] == UNSCORED, timeout=5000)
    assert window.gallery.selected_ids() == [target]
    client.shutdown()


def test_status_bar_shows_progress_and_pause_reaches_the_worker(qtbot, filled):
    window, client, bridge, worker = open_window(qtbot, filled.library)
    bridge.listener(
        ProgressChanged(
            WorkerState.SCORING,
            done=3,
            remaining=7,
            images_per_s=0.1,
            eta_s=70.0,
            current_path="/p/x.jpg",
            device="cpu",
            model_label="synthetic/tiny",
            synthetic=True,
        )  # fmt: skip
    )
    status = window.status
    qtbot.waitUntil(lambda: status.queue_label.text() == "7 queued", timeout=3000)
    assert status.progress.value() == 3 and status.progress.maximum() == 10
    assert status.progress.text() == "3 / 10 scored"
    assert status.state_label.text() == "Scoring x.jpg…"  # the file, not a long path
    assert status.eta_label.text() == "ETA 1 min 10 s"
    assert status.rate_label.text() == "6.0 images/min"
    assert "SYNTHETIC" in status.model_label.text() and "cpu" in status.model_label.text()
    assert window.banner.isVisible()
    status.pause_button.click()
    status.pause_button.click()
    assert worker.calls[-2:] == ["pause", "resume"]
    bridge.listener(
        ProgressChanged(
            WorkerState.WAITING_FOR_MODEL,
            0,
            7,
            None,
            None,
            None,
            None,
            None,
            False,
            message="no model installed",
        )  # fmt: skip
    )
    qtbot.waitUntil(lambda: "Settings → Model" in status.state_label.text(), timeout=3000)
    client.shutdown()


def test_window_without_a_model_says_what_to_do_and_sorts_by_name(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library, ModelState())
    assert window.notice.isVisible()
    assert "Settings → Model" in window.notice.text()
    assert "Settings → Model" in window.status.state_label.text()
    assert window.controller.query.sort_key == "file_name"
    header = window.gallery.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        Column.NAME,
        Qt.SortOrder.AscendingOrder,
    )
    assert names(window) == sorted(KNOWN) + [UNSCORED]
    client.shutdown()


def test_empty_library_shows_how_to_add_photos(qtbot, tmp_path):
    library = Library.open(tmp_path / "empty.sqlite3")
    window, client, _bridge, _worker = open_window(qtbot, library, ModelState())
    assert window.pages.currentWidget() is window.pages.empty_state
    assert window.pages.empty_state.text() == NO_PHOTOS_TEXT
    client.shutdown()
    library.close()


def test_adding_and_removing_a_folder_from_the_sidebar(qtbot, tmp_path):
    library = Library.open(tmp_path / "lib.sqlite3")
    window, client, _bridge, worker = open_window(qtbot, library)
    folder = tmp_path / "shoot"
    write_images(folder, ["one.png", "two.png", "three.png"])
    window.sidebar._choose_directory = lambda _parent: str(folder)
    window.sidebar.add_button.click()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10000)
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 2, timeout=5000)
    qtbot.waitUntil(lambda: "3 photos" in window.sidebar.list.item(1).text(), timeout=5000)
    assert "wake" in worker.calls  # new photos: the worker is told at once
    window.sidebar.list.setCurrentRow(1)
    window.sidebar._confirm = lambda _parent, _question: True
    window.sidebar.remove_button.click()
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=10000)
    assert library.folders() == []  # no longer watched; its photos stay on disk
    assert all((folder / n).exists() for n in ("one.png", "two.png", "three.png"))
    client.shutdown()
    library.close()


def test_compare_shows_the_selected_photos_side_by_side(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    chosen = [filled.ids["a_red.png"], filled.ids["d_yellow.png"]]
    window.gallery.select_ids(chosen, current=chosen[0])
    window.culling.compare.trigger()
    assert window.pages.currentWidget() is window.pages.compare_view
    assert sorted(d.row.id for d in window.pages.compare_view.details()) == sorted(chosen)
    assert not window.detail_panel.isVisible()  # the comparison gets the room
    window.culling.grid.trigger()  # G goes back to the grid
    assert window.pages.currentWidget() is window.gallery
    assert window.detail_panel.isVisible()
    window.gallery.select_ids(chosen[:1], current=chosen[0])
    window.culling.compare.trigger()  # one photo: nothing to compare
    assert window.pages.currentWidget() is window.gallery
    client.shutdown()


def test_best_of_folder_selects_the_top_n_by_a_dimension(qtbot, filled, monkeypatch):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    monkeypatch.setattr(
        window_commands.BestOfDialog, "exec", lambda self: QDialog.DialogCode.Accepted
    )
    monkeypatch.setattr(window_commands.BestOfDialog, "choice", lambda self: (2, "environment"))
    window.culling.best_of.trigger()
    best_two = sorted(KNOWN, key=lambda n: KNOWN[n][1], reverse=True)[:2]
    qtbot.waitUntil(lambda: window.controller.query.sort_key == "environment", timeout=5000)
    qtbot.waitUntil(
        lambda: sorted(window.gallery.selected_ids()) == sorted(filled.ids[n] for n in best_two),
        timeout=5000,
    )
    assert names(window)[:2] == best_two
    client.shutdown()


def test_score_selection_now_queues_it_first(qtbot, filled):
    window, client, _bridge, worker = open_window(qtbot, filled.library)
    target = filled.ids["c_blue.png"]
    focus_on(qtbot, window, target)
    with qtbot.waitSignal(client.images_requeued, timeout=5000):
        QTest.keyClick(window.gallery.grid, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    # the worker puts its look-ahead back so the requested photo is claimed next
    assert worker.calls[-1] == "wake (reprioritize)"
    # the status bar promises nothing it won't do: a photo scored by this model keeps its score
    assert "front of the queue" in window.status.currentMessage()
    jobs = filled.library.claim_jobs(1, "another-model", "p")
    assert [j.image_id for j in jobs] == [target]
    client.shutdown()


def test_no_model_notice_leads_to_the_model_settings(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library, ModelState())
    with qtbot.waitSignal(window.settings_requested, timeout=3000):
        window.notice.settings_button.click()
    window.set_model_state(ModelState(True, "synthetic/tiny", True))
    assert not window.notice.isVisible()
    assert "SYNTHETIC" in window.status.model_label.text()
    # name order was only the stand-in while nothing could be scored: best photos first now
    qtbot.waitUntil(lambda: window.controller.query.sort_key == "overall", timeout=3000)
    assert window.controller.query.descending
    assert window.filter_bar.sort_combo.currentData() == "overall"
    client.shutdown()


def test_space_previews_the_current_photo_and_culling_works_there(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    first = window.model.id_at(0)
    focus_on(qtbot, window, first)
    QTest.keyClick(window.gallery.grid, Qt.Key.Key_Space)
    preview = window.commands.preview
    assert preview is not None and preview.isVisible()
    assert preview.current_path() == window.model.image_row(0).path
    preview.navigate.emit(1)  # the preview's "next" key
    assert window.gallery.current_id() == window.model.id_at(1)
    assert preview.current_path() == window.model.image_row(1).path
    preview.activateWindow()
    preview.setFocus()
    with qtbot.waitSignal(client.ratings_changed, timeout=5000):
        QTest.keyClick(preview, Qt.Key.Key_P)
    assert filled.library.rows([window.model.id_at(1)])[0].rating.flag == Flag.PICKED
    assert preview.caption().endswith("Picked")  # the photographer sees what the key did
    with qtbot.waitSignal(client.ratings_changed, timeout=5000):
        QTest.keyClick(preview, Qt.Key.Key_8)
    assert filled.library.rows([window.model.id_at(1)])[0].rating.color == "green"
    assert "Green label" in preview.caption()
    window.close()
    client.shutdown()


def test_export_picks_offers_exactly_the_picked_files(qtbot, filled, monkeypatch):
    from humanaes_desktop.ui.dialogs import export_picks as export_dialog

    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    picked = ["a_red.png", "c_blue.png"]
    filled.library.set_rating([filled.ids[n] for n in picked], flag=Flag.PICKED)
    filled.library.set_rating([filled.ids["b_green.png"]], flag=Flag.REJECTED)
    offered: list[list[str]] = []
    monkeypatch.setattr(
        export_dialog.ExportPicksDialog, "exec", lambda self: offered.append(self._paths) or 0
    )
    window.culling.export.trigger()
    qtbot.waitUntil(lambda: offered != [], timeout=5000)
    assert sorted(os.path.basename(p) for p in offered[0]) == picked
    client.shutdown()


def test_generate_annotation_queues_that_photo_with_annotation(qtbot, filled):
    window, client, _bridge, worker = open_window(qtbot, filled.library)
    target = filled.ids["d_yellow.png"]
    with qtbot.waitSignal(client.images_requeued, timeout=5000):
        window.detail_panel.annotation_requested.emit(target)
    assert worker.calls[-1] == "wake (reprioritize)"
    jobs = filled.library.claim_jobs(1, "m", "p")
    assert [(j.image_id, j.annotate) for j in jobs] == [(target, True)]
    client.shutdown()


def test_colour_label_keys_set_toggle_and_show_the_label(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    target = filled.ids["c_blue.png"]
    focus_on(qtbot, window, target)
    grid = window.gallery.grid

    def press(key) -> None:
        with qtbot.waitSignal(client.ratings_changed, timeout=5000):
            QTest.keyClick(grid, key)

    def label_shown() -> str:
        return window.model.index(window.model.row_of(target), Column.LABEL).data()

    press(Qt.Key.Key_6)  # red, as in Lightroom
    assert filled.library.rows([target])[0].rating.color == "red"
    assert label_shown() == "Red"
    assert "Red" in window.detail_panel.rating_label.text()
    press(Qt.Key.Key_9)  # blue replaces red
    assert filled.library.rows([target])[0].rating.color == "blue"
    press(Qt.Key.Key_9)  # the same colour again removes it
    assert filled.library.rows([target])[0].rating.color is None
    assert label_shown() == ""
    assert filled.library.rows([target])[0].rating.stars == 0  # 6-9 never touch the stars
    client.shutdown()


def _idle(remaining: int = 0) -> ProgressChanged:
    return ProgressChanged(
        WorkerState.IDLE, 6, remaining, 1.0, None, None, "cpu", "synthetic/tiny", True
    )


def _store_score(filled, name: str, overall: float) -> int:
    target = filled.ids[name]
    job = next(j for j in filled.library.claim_jobs(5, "m", "p") if j.image_id == target)
    filled.library.store_assessment(job, make_assessment(overall, {"environment": 0.5}))
    return target


def test_best_photo_is_selected_and_the_gallery_resorts_when_scoring_finishes(qtbot, filled):
    window, client, bridge, _worker = open_window(qtbot, filled.library)
    # keyboard first: the best photo is selected at once, arrows and P/X work without a click
    qtbot.waitUntil(lambda: window.gallery.selected_ids() == [filled.ids["a_red.png"]])
    assert window.detail_panel.current_detail().row.file_name == "a_red.png"
    assert window.gallery.grid.hasFocus()  # no click needed before the first key
    target = _store_score(filled, UNSCORED, 0.97)
    bridge.listener(AssessmentStored(target, 0.97, "excellent"))
    qtbot.waitUntil(lambda: window.controller.stale_order, timeout=3000)
    assert names(window)[0] != UNSCORED  # live scores never move rows on their own
    bridge.listener(_idle())  # the queue drained and the user has not chosen a photo
    qtbot.waitUntil(lambda: names(window)[0] == UNSCORED, timeout=5000)  # best first
    assert window.gallery.selected_ids() == [target]  # and the new best is the one selected
    assert not window.filter_bar.resort_hint.isVisible()
    client.shutdown()


def test_once_the_user_chose_a_photo_the_end_of_scoring_moves_nothing(qtbot, filled):
    window, client, bridge, _worker = open_window(qtbot, filled.library)
    chosen = filled.ids["c_blue.png"]
    focus_on(qtbot, window, chosen)  # the user's own choice
    target = _store_score(filled, UNSCORED, 0.97)
    bridge.listener(AssessmentStored(target, 0.97, "excellent"))
    qtbot.waitUntil(lambda: window.controller.stale_order, timeout=3000)
    queries = window.controller.queries_run
    bridge.listener(_idle())
    qtbot.waitUntil(lambda: window.status.queue_label.text() == "queue empty", timeout=3000)
    assert window.controller.queries_run == queries and names(window)[0] != UNSCORED
    assert window.gallery.selected_ids() == [chosen]
    assert window.filter_bar.resort_hint.isVisible()  # F5 is the user's to press
    client.shutdown()


def test_sorting_by_a_dimension_shows_its_value_on_the_grid_cells(qtbot, filled):
    from humanaes_desktop.ui.gallery.delegate import dimension_badge_text

    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    assert window.model.shown_dimension is None  # sorted by overall: the badge says it
    index = window.filter_bar.sort_combo.findData("environment")
    window.filter_bar.sort_combo.setCurrentIndex(index)
    qtbot.waitUntil(lambda: window.model.shown_dimension == "environment", timeout=5000)
    first = window.model.image_row(0)
    assert first.file_name == "b_green.png"  # environment 0.95, overall only 0.15
    assert dimension_badge_text(first, "environment") == "Environment 0.95"
    assert dimension_badge_text(window.model.image_row(5), "environment") is None  # unscored
    client.shutdown()


def test_culling_in_compare_updates_the_compared_titles(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    ids = [filled.ids["a_red.png"], filled.ids["c_blue.png"]]
    window.gallery.select_ids(ids, current=ids[0])
    window.culling.compare.trigger()
    assert window.pages.currentWidget() is window.pages.compare_view
    with qtbot.waitSignal(client.ratings_changed, timeout=5000):
        window.culling.pick.trigger()
    titles = [window.pages.compare_view._titles[i].text() for i in ids]
    assert all("Picked" in t for t in titles), titles
    client.shutdown()


def test_keys_work_from_the_first_second_without_a_click(qtbot, filled):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    qtbot.waitUntil(lambda: window.gallery.grid.hasFocus(), timeout=3000)
    QTest.keyClick(window.gallery.grid, Qt.Key.Key_Right)  # best photo first, then the next
    second = window.model.id_at(1)
    assert window.gallery.current_id() == second
    with qtbot.waitSignal(client.ratings_changed, timeout=5000):
        QTest.keyClick(window.gallery.grid, Qt.Key.Key_P)
    assert filled.library.rows([second])[0].rating.flag == Flag.PICKED
    client.shutdown()


def _pixels_of(image, hex_color: str) -> int:
    from PySide6.QtGui import QColor

    target = QColor(hex_color).rgb()
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(image.width())
        if image.pixel(x, y) == target
    )


def test_grid_cells_show_the_colour_label(qtbot, filled):
    from humanaes_desktop.ui.breakdown.palette import LABEL_HEX

    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    grid = window.gallery.grid
    assert _pixels_of(grid.grab().toImage(), LABEL_HEX["blue"]) == 0
    target = filled.ids["c_blue.png"]
    focus_on(qtbot, window, filled.ids["e_cyan.png"])  # the labelled cell is not the selected one
    with qtbot.waitSignal(client.ratings_changed, timeout=5000):
        client.set_rating([target], color="blue")
    qtbot.waitUntil(lambda: _pixels_of(grid.grab().toImage(), LABEL_HEX["blue"]) > 100)
    client.shutdown()


def test_score_selection_now_says_how_many_could_not_be_queued(qtbot, filled):
    (filled.folder / "layers.psd").write_bytes(b"8BPS" + bytes(64))  # shown, not scorable
    filled.library.scan_folder(filled.folder_id)
    window, client, _bridge, worker = open_window(qtbot, filled.library)
    everything = list(filled.library.query_ids(_shown_photos()))
    assert len(everything) == len(KNOWN) + 2
    gone = filled.ids["b_green.png"]  # deleted while selected: the watcher marks it missing
    window.gallery.select_ids(everything, current=everything[0])
    window.activateWindow()
    window.gallery.grid.setFocus()
    (filled.folder / "b_green.png").unlink()
    filled.library.apply_fs_changes(deleted=[str(filled.folder / "b_green.png")])
    with qtbot.waitSignal(client.images_requeued, timeout=5000) as queued:
        QTest.keyClick(window.gallery.grid, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert gone not in queued.args[0] and len(queued.args[0]) == len(everything) - 2
    message = window.status.currentMessage()
    assert f"{len(everything) - 2} of {len(everything)} photos moved" in message
    assert "2 could not be (missing or unsupported files)" in message
    assert worker.calls[-1] == "wake (reprioritize)"
    client.shutdown()


def _shown_photos():
    from humanaes_desktop.library.records import GalleryQuery

    return GalleryQuery(sort_key="file_name")
