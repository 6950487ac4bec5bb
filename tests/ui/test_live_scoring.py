"""The whole desktop app with the tiny synthetic model: add the shared photos' folder, watch the
scores arrive live in place, drop in one more photo, shut down in order while it runs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402

import pytest  # noqa: E402

from humanaes_desktop import app as desktop  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.ui.gallery.model import Column  # noqa: E402
from tests.support.photos import PHOTOS_DIR  # noqa: E402


def scored_rows(window) -> int:
    model = window.model
    rows = (model.image_row(r) for r in range(model.rowCount()))
    return sum(1 for row in rows if row is not None and row.overall is not None)


@pytest.mark.slow
def test_new_user_adds_a_folder_and_watches_it_get_scored(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.png", "chelsea.png", "grace_hopper.jpg"):
        shutil.copy2(PHOTOS_DIR / name, photos / name)
    args = desktop.build_parser().parse_args(
        ["--library", str(tmp_path / "lib.sqlite3"), "--model", str(tiny_model_dir)]
    )
    app = desktop.DesktopApp(args)
    window = app.window
    qtbot.addWidget(window)
    window.show()
    window.start()
    app._start_background()
    assert window.banner.isVisible()  # a synthetic model is announced before any score
    window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=20_000)
    first = window.model.id_at(1)  # the app selected row 0 for the keyboard; the user picks another
    window.gallery.select_ids([first], current=first)
    resets: list[bool] = []
    window.model.modelReset.connect(lambda: resets.append(True))
    qtbot.waitUntil(lambda: scored_rows(window) == 3, timeout=120_000)
    overall = window.model.index(0, Column.OVERALL).data()
    assert overall.endswith("(synthetic)")
    assert "SYNTHETIC" in window.status.model_label.text()
    shutil.copy2(PHOTOS_DIR / "rocket.jpg", photos / "rocket.jpg")  # picked up by the watcher
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=30_000)
    qtbot.waitUntil(lambda: scored_rows(window) == 4, timeout=60_000)
    # new files re-query; live scores never reset the view (and, with a photo selected, the
    # end of scoring does not re-sort it either)
    assert len(resets) <= 2
    assert window.gallery.selected_ids() == [first]
    app.shutdown()
    assert not app.worker.is_alive()
    reopened = Library.open(tmp_path / "lib.sqlite3")  # closed in order: reopens cleanly
    try:
        assert reopened.queue_counts().scored == 4
    finally:
        reopened.close()
