"""`humanaes-desktop PHOTO_OR_FOLDER...` (the desktop entry's %F) watches what it is given."""

from __future__ import annotations

import shutil

from humanaes_desktop import app as desktop
from tests.support.photos import sample_photo


def make_app(qtbot, tmp_path, *paths) -> desktop.DesktopApp:
    args = desktop.build_parser().parse_args(
        [*map(str, paths), "--library", str(tmp_path / "lib.sqlite3")]
    )
    app = desktop.DesktopApp(args)
    qtbot.addWidget(app.window)
    app.window.show()
    app.window.start()
    return app


def watched(app) -> list[str]:
    return sorted(folder.path for folder in app.library.folders(with_counts=False))


def test_opening_a_photo_watches_its_folder_once(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(sample_photo("grace_hopper.jpg"), album / "hopper.jpg")
    app = make_app(qtbot, tmp_path, album / "hopper.jpg")
    try:
        with qtbot.waitSignal(app.window.folders_edited, timeout=30_000):
            app.open_paths()
        assert watched(app) == [str(album)]
    finally:
        app.shutdown()
    # Opening the same photo again adds nothing and reports nothing.
    again = make_app(qtbot, tmp_path, album / "hopper.jpg")
    try:
        errors = []
        monkeypatch.setattr(again.window, "show_error", errors.append)
        again.open_paths()
        # The background runner is serial: once a task queued after it is done, so is the check.
        done = []
        again.client.run_in_background(lambda: None, "marker", done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=30_000)
        assert watched(again) == [str(album)]
        assert errors == []
    finally:
        again.shutdown()


def test_a_missing_path_is_reported_in_the_window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    app = make_app(qtbot, tmp_path, tmp_path / "gone")
    try:
        errors = []
        monkeypatch.setattr(app.window, "show_error", errors.append)
        app.open_paths()
        assert errors == [f"{tmp_path / 'gone'} does not exist."]
        assert watched(app) == []
    finally:
        app.shutdown()
