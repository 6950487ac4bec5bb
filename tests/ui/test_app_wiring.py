"""The desktop app's wiring (app.py): first-run model setup, settings reaching the worker,
crash handling at start-up, and a library written by an older schema opening in the window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from humanaes_desktop import app as desktop  # noqa: E402
from humanaes_desktop.engine.assessment import PreprocessProfile  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.records import Flag  # noqa: E402
from humanaes_desktop.settings import AppSettings  # noqa: E402
from humanaes_desktop.ui.gallery.model import Column  # noqa: E402

V1_FIXTURE = Path(__file__).resolve().parents[1] / "library" / "fixtures" / "library_v1.sqlite3"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """Settings, logs, caches and installed models all live under tmp (no model installed)."""
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def make_app(qtbot, tmp_path, *extra: str) -> desktop.DesktopApp:
    args = desktop.build_parser().parse_args(["--library", str(tmp_path / "lib.sqlite3"), *extra])
    app = desktop.DesktopApp(args)
    qtbot.addWidget(app.window)
    app.window.show()
    app.window.start()
    return app


def test_first_start_without_a_model_opens_model_setup_once(
    qtbot, tmp_path, data_dir, tiny_model_dir
):
    app = make_app(qtbot, tmp_path)
    try:
        assert app.window.notice.isVisible()  # no model: the notice says what to do
        dialog = app.offer_model_setup_on_first_run()
        assert dialog is not None and dialog.isVisible()
        assert AppSettings.load().model_setup_offered  # remembered on disk at once
        with qtbot.waitSignal(dialog.accepted, timeout=30_000):
            dialog.choose_folder(str(tiny_model_dir))  # the user picks a model folder
        assert AppSettings.load().model_dir == str(tiny_model_dir)
        assert app.window.model_state.available and app.window.model_state.synthetic
        assert not app.window.notice.isVisible()
        assert app.window.banner.isVisible()  # a synthetic model is announced at once
    finally:
        app.shutdown()
    # A second start never nags, even if the user had pressed "Later".
    settings = AppSettings.load()
    settings.model_dir = None
    settings.save()
    again = make_app(qtbot, tmp_path)
    try:
        assert again.model_folder is None
        assert again.offer_model_setup_on_first_run() is None
    finally:
        again.shutdown()


def test_screenshot_run_never_opens_model_setup(qtbot, tmp_path, data_dir):
    app = make_app(qtbot, tmp_path, "--screenshot", str(tmp_path / "shot.png"))
    try:
        assert app.offer_model_setup_on_first_run() is None
        assert not AppSettings.load().model_setup_offered
    finally:
        app.shutdown()


def test_saved_settings_reach_the_worker_with_their_profile(
    qtbot, tmp_path, data_dir, tiny_model_dir, monkeypatch
):
    app = make_app(qtbot, tmp_path, "--model", str(tiny_model_dir))
    reloads: list[tuple[object, object]] = []
    profiles: list[tuple[object, object]] = []
    monkeypatch.setattr(
        app.worker,
        "set_engine_loader",
        lambda loader, profile=None: reloads.append((loader, profile)),
    )
    monkeypatch.setattr(app.worker, "set_profiles", lambda *args: profiles.append(args))
    try:
        settings = app.settings  # the Settings dialog edits the app's own object, then saves
        settings.max_tiles, settings.fast_decode = 2, True
        settings.save()
        app._apply_settings()  # what Settings → OK does next
        # New tiles: the next photos follow them, without reloading the model.
        assert reloads == []
        assert profiles == [(PreprocessProfile(max_tiles=2, decode="fast"), "auto")]
        app._apply_settings()  # OK again without a change: nothing to do
        assert len(profiles) == 1
        settings.profile_mode = "quick"
        settings.save()
        app._apply_settings()
        assert profiles[-1][1] == "quick" and reloads == []
        settings.device = "cpu"  # the engine itself changes: reload, with the profiles
        settings.save()
        app._apply_settings()
        ((loader, profile),) = reloads
        assert callable(loader) and profile == PreprocessProfile(max_tiles=2, decode="fast")
        assert profiles[-1] == (profile, "quick")
        assert app.worker.annotate_all is False  # default: annotation on demand
        settings.annotation = "on"
        settings.save()
        app._apply_settings()
        assert app.worker.annotate_all is True  # every photo now gets its annotation text
        assert len(reloads) == 1  # and no model reload for that
    finally:
        app.shutdown()


def test_start_up_installs_crash_handling_with_a_log_under_the_data_dir(
    qtbot, tmp_path, data_dir, monkeypatch
):
    from humanaes_desktop.ui.dialogs.crash import crash_log_file, uninstall_crash_handling

    ran: list[bool] = []

    def run_without_event_loop(self, qt_app) -> int:
        ran.append(True)
        self.shutdown()
        return 0

    monkeypatch.setattr(desktop.DesktopApp, "run", run_without_event_loop)
    hook_before = sys.excepthook
    try:
        assert desktop.main(["--library", str(tmp_path / "lib.sqlite3")]) == 0
        assert ran
        assert sys.excepthook is not hook_before  # uncaught errors reach the report dialog
        log_file = crash_log_file()
        assert log_file is not None and log_file.is_relative_to(data_dir)
    finally:
        uninstall_crash_handling()


@pytest.mark.qt_no_exception_capture  # our crash handler, not pytest-qt, must see the error
def test_a_broken_import_reaches_the_crash_dialog_with_its_traceback(
    qtbot, tmp_path, data_dir, monkeypatch
):
    from PySide6.QtWidgets import QApplication

    from humanaes_desktop.ui.dialogs.crash import (
        CrashDialog,
        install_crash_handling,
        uninstall_crash_handling,
    )

    # As if the Settings dialog's module failed to import (a syntax error, a missing name...).
    monkeypatch.setitem(sys.modules, "humanaes_desktop.ui.dialogs.settings", None)
    app = make_app(qtbot, tmp_path)
    install_crash_handling(tmp_path / "logs")
    try:
        settings_action = next(
            action
            for menu in app.window.menuBar().actions()
            for action in menu.menu().actions()
            if action.text() == "Settings…"
        )
        settings_action.trigger()
        qtbot.waitUntil(
            lambda: any(isinstance(w, CrashDialog) for w in QApplication.topLevelWidgets()),
            timeout=5000,
        )
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog))
        assert "Traceback" in dialog.details and "humanaes_desktop.ui.dialogs.settings" in (
            dialog.details
        )
    finally:
        uninstall_crash_handling()
        app.shutdown()


def test_a_library_written_by_schema_v1_opens_and_shows_its_rows(qtbot, tmp_path, data_dir):
    shutil.copy2(V1_FIXTURE, tmp_path / "lib.sqlite3")
    app = make_app(qtbot, tmp_path)
    window = app.window
    try:
        qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)  # missing: hidden
        rows = {window.model.image_row(r).file_name: r for r in range(2)}
        assert set(rows) == {"portrait.jpg", "queued.jpg"}
        portrait = rows["portrait.jpg"]
        assert window.model.index(portrait, Column.OVERALL).data() == "0.660 (synthetic)"
        assert window.model.index(portrait, Column.STARS).data() == "★★★★☆"
        assert window.model.index(portrait, Column.FLAG).data() == "Picked"
        # the migrated file takes the new version's colour labels
        image_id = window.model.id_at(portrait)
        window.gallery.select_ids([image_id], current=image_id)
        with qtbot.waitSignal(app.client.ratings_changed, timeout=5000):
            window.culling.labels[0].trigger()  # red (key 6)
        assert window.model.index(portrait, Column.LABEL).data() == "Red"
    finally:
        app.shutdown()
    reopened = Library.open(tmp_path / "lib.sqlite3")
    try:
        (row,) = reopened.rows([image_id])
        assert (row.rating.color, row.rating.flag, row.rating.stars) == ("red", Flag.PICKED, 4)
    finally:
        reopened.close()


def test_sigterm_closes_the_app_in_order(tmp_path, tiny_model_dir):
    import signal
    import subprocess
    import time

    from humanaes_desktop.paths import DATA_DIR_ENV

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{DATA_DIR_ENV: str(tmp_path / "d")})
    db = tmp_path / "lib.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "humanaes_desktop.app", "--library", str(db), "-v",
         "--model", str(tiny_model_dir)],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the worker to have loaded the model
            line = process.stderr.readline()
            lines.append(line)
            if "model loaded" in line or not line:
                break
        assert any("model loaded" in line for line in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        _out, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "quitting" in rest
    Library.open(db).close()  # closed in order: it opens again


def test_annotation_off_hides_generate_annotation_in_the_detail_panel(qtbot, tmp_path, data_dir):
    from tests.support.assessments import detailed_assessment, make_detail

    settings = AppSettings.load()
    settings.annotation = "off"
    settings.save()
    app = make_app(qtbot, tmp_path)
    try:
        panel = app.window.detail_panel
        panel.show_detail(make_detail(assessment=detailed_assessment(annotation=None)))
        assert not panel.annotation_button.isVisible()  # Off: no annotation, not even on demand
        app.settings.annotation = "on_demand"
        app.settings.save()
        app._apply_settings()  # Settings → OK
        assert panel.annotation_button.isVisible()
    finally:
        app.shutdown()
