"""Your taste in the window: offered in the sort menu only once it earned it, learnt again in the
background as the user rates, shown in the detail panel, forgotten from Settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from humanaes_desktop.settings import AppSettings  # noqa: E402
from humanaes_desktop.taste import service  # noqa: E402
from humanaes_desktop.taste.keeper import TasteKeeper  # noqa: E402
from humanaes_desktop.ui.background.library_client import LibraryClient  # noqa: E402
from humanaes_desktop.ui.background.taste_client import TasteClient  # noqa: E402
from humanaes_desktop.ui.dialogs.settings import SettingsDialog  # noqa: E402
from humanaes_desktop.ui.window.main_window import MainWindow, ModelState  # noqa: E402
from tests.support.taste_library import DIM, rate_by, scored_library  # noqa: E402


def _open(qtbot, library):
    client = LibraryClient(library)
    taste = TasteClient(TasteKeeper(library))
    window = MainWindow(client, model_state=ModelState(True, "synthetic/tiny", True), taste=taste)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    taste.load()
    qtbot.waitUntil(lambda: window.controller.queries_run >= 1, timeout=5000)
    return window, client, taste


def _taste_item(window):
    combo = window.filter_bar.sort_combo
    return combo, combo.model().item(combo.findData("taste"))


def _close(window, client, taste, library):
    taste.shutdown()
    client.shutdown()
    window.close()
    library.close()


def test_an_earned_taste_sorts_the_gallery_and_explains_itself(qtbot, tmp_path):
    library, ids, dims, overall = scored_library(tmp_path, 90, seed=21)
    rate_by(library, ids, dims[:, DIM["environment"]] + 0.3 * overall)
    window, client, taste = _open(qtbot, library)
    combo, item = _taste_item(window)
    qtbot.waitUntil(lambda: item.isEnabled(), timeout=30000)  # learnt in the background
    assert "MetaVoter" in item.toolTip()
    runs = window.controller.queries_run
    combo.setCurrentIndex(combo.findData("taste"))
    qtbot.waitUntil(lambda: window.controller.queries_run > runs, timeout=5000)
    assert window.controller.query.sort_key == "taste" and window.model.rowCount() == len(ids)
    model = service.stored_taste(library)
    scores = service.taste_scores(library, model, ids.tolist())
    best = max(scores, key=scores.get)
    assert window.model.id_at(0) == best
    window.gallery.select_ids([best], current=best)
    panel = window.detail_panel
    qtbot.waitUntil(lambda: panel.taste_box.isVisible(), timeout=5000)
    assert "likely to beat a typical photo" in panel.taste.score_label.text()
    assert f"{scores[best]:.2f}" in panel.taste.score_label.text()
    assert "Environment" in panel.taste.explanation_label.text()
    assert panel.taste.shown_dimensions()[0] == "environment"
    _close(window, client, taste, library)


def test_random_ratings_leave_the_taste_off_with_the_reason(qtbot, tmp_path):
    library, ids, _dims, _ = scored_library(tmp_path, 90, seed=22)
    rate_by(library, ids, np.random.default_rng(5).uniform(size=len(ids)))
    window, client, taste = _open(qtbot, library)
    _combo, item = _taste_item(window)
    qtbot.waitUntil(lambda: taste.state.learnt, timeout=30000)
    assert not item.isEnabled()
    assert item.toolTip().startswith("Sorting by your taste is off: Not ")
    window.gallery.select_ids([int(ids[0])], current=int(ids[0]))
    panel = window.detail_panel
    qtbot.waitUntil(lambda: panel.taste_box.isVisible(), timeout=5000)
    assert not panel.taste.score_label.isVisible()
    assert "is off" in panel.taste.reason_label.text()
    _close(window, client, taste, library)


def test_rating_in_the_window_learns_the_taste_in_the_background(qtbot, tmp_path):
    library, ids, dims, _ = scored_library(tmp_path, 60, seed=23)
    utility = dims[:, DIM["outfit"]]
    rate_by(library, ids[:25], utility[:25])  # too few: nothing to learn yet
    window, client, taste = _open(qtbot, library)
    _combo, item = _taste_item(window)
    assert not item.isEnabled()
    order = np.argsort(utility[25:])
    for rank, k in enumerate(order.tolist()):  # the user keeps rating, in the same spirit
        client.set_rating([int(ids[25 + k])], stars=1 + rank * 5 // len(order))
    qtbot.waitUntil(lambda: taste.state.rated >= 30 and taste.state.learnt, timeout=60000)
    assert taste.state.rated >= 30
    _close(window, client, taste, library)


def test_settings_forget_the_taste_after_asking(qtbot, tmp_path, monkeypatch):
    library, ids, dims, _ = scored_library(tmp_path, 60, seed=24)
    rate_by(library, ids, dims[:, DIM["looks"]])
    service.fit_taste(library)
    taste = TasteClient(TasteKeeper(library))
    taste.load()
    qtbot.waitUntil(lambda: taste.state.learnt, timeout=30000)
    dialog = SettingsDialog(AppSettings(path=tmp_path / "s.json"), taste=taste)
    qtbot.addWidget(dialog)
    group = dialog.taste_group
    assert "Looks" in group.state_label.text() and group.reset_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    group.reset_button.click()
    taste.wait_idle()
    assert service.stored_taste(library) is not None  # "No" keeps it
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    group.reset_button.click()
    qtbot.waitUntil(lambda: not taste.state.learnt, timeout=10000)
    assert service.stored_taste(library) is None
    assert "No taste learnt yet" in group.state_label.text()
    taste.shutdown()
    library.close()


@pytest.mark.parametrize("offered", [True, False])
def test_filter_bar_leaves_a_taste_sort_that_is_withdrawn(qtbot, offered):
    from humanaes_desktop.ui.gallery.filter_bar import FilterBar

    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.set_taste(True, "learnt")
    bar.sort_combo.setCurrentIndex(bar.sort_combo.findData("taste"))
    with qtbot.waitSignal(bar.query_changed, timeout=2000, raising=False) as blocker:
        bar.set_taste(offered, "reason")
    assert bar.query().sort_key == ("taste" if offered else "overall")
    assert blocker.signal_triggered is (not offered)
    assert (
        Qt.ItemFlag.ItemIsEnabled
        in bar.sort_combo.model().item(bar.sort_combo.findData("taste")).flags()
        or not offered
    )
