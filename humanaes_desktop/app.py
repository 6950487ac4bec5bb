"""`humanaes-desktop`: the desktop application's entry point and wiring.

Order matters for a fast start: the window is shown first; the worker, the watcher and the
startup rescan start from the event loop afterwards, all off the GUI thread, and the model (and
torch) is only ever loaded by the worker on its own thread. Shutdown is the reverse: watcher,
worker, thread pools, then the database.

`--screenshot PATH` renders the window for a library, waits (bounded) until the visible
thumbnails are loaded, saves a PNG and exits; it starts no worker, watcher or scan, except with
`--while-scoring N`: then the worker scores the queue and the shot is taken once N photos are
done, with the progress bar and ETA showing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

VIEWS = ("grid", "table", "compare")
WORKER_STOP_GRACE_S = 10.0


def build_parser() -> argparse.ArgumentParser:
    """The desktop app's command line."""
    parser = argparse.ArgumentParser(
        prog="humanaes-desktop",
        description="Curate photo libraries by human-image aesthetics (HumanAesExpert).",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="folders or photos to open: each folder (a photo's folder) is watched",
    )
    parser.add_argument("--library", type=Path, metavar="DB", help="library database file")
    parser.add_argument(
        "--model", type=Path, metavar="DIR", help="model folder (overrides Settings)"
    )
    parser.add_argument(
        "--screenshot", type=Path, metavar="PATH", help="render the window to a PNG and exit"
    )
    parser.add_argument(
        "--select", type=int, metavar="N", help="with --screenshot: select the first N photos"
    )
    parser.add_argument("--view", choices=VIEWS, default="grid", help="with --screenshot")
    parser.add_argument(
        "--while-scoring",
        type=int,
        metavar="N",
        help="with --screenshot: score the queue and take the shot once N photos are scored",
    )
    parser.add_argument("--size", type=_size, default=(1400, 900), metavar="WxH")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging to stderr")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check offscreen that this installation can load a model and score a photo, then exit",
    )
    return parser


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 1400x900") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError("each side must be between 200 and 8000 pixels")
    return width, height


def main(argv: list[str] | None = None) -> int:
    """Run the desktop app; returns the exit code."""
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.self_test:
        from humanaes_desktop.self_test import main as self_test

        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
        return self_test()
    if args.screenshot and _no_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    _set_desktop_identity(qt_app)
    if not args.screenshot:  # a screenshot run must never stop at a modal crash dialog
        _install_crash_handling()
    try:
        desktop = DesktopApp(args)
    except UserError as exc:
        print(f"humanaes-desktop: error: {exc}", file=sys.stderr)
        return 2
    return desktop.run(qt_app)


def _set_desktop_identity(qt_app) -> None:
    """The names and icon the desktop matches this app's windows to its menu entry by."""
    from PySide6.QtGui import QIcon

    from humanaes_desktop.identity import APP_ID, APP_NAME, ICON_RESOURCE, resource_path

    qt_app.setApplicationName(APP_NAME)
    qt_app.setDesktopFileName(APP_ID)  # Wayland: the window's app id = the .desktop file name
    qt_app.setWindowIcon(QIcon(str(resource_path(ICON_RESOURCE))))


def _install_crash_handling() -> None:
    """Readable error dialog for uncaught exceptions, rotating log file, Qt messages logged."""
    from humanaes_desktop.logging_setup import default_log_dir
    from humanaes_desktop.ui.dialogs.crash import install_crash_handling

    install_crash_handling(default_log_dir())


def _no_display() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _screen_pixel_ratio() -> float:
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    return screen.devicePixelRatio() if screen is not None else 1.0


def model_state_for(folder: Path | None):
    """What the window says about a model folder, read from its config.json only (no torch)."""
    from humanaes_desktop.engine.store.manifest import SYNTHETIC_MARKER
    from humanaes_desktop.ui.window.main_window import ModelState

    if folder is None or not (folder / "config.json").is_file():
        return ModelState()
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s/config.json: %s", folder, exc)
        return ModelState()
    marker = config.get(SYNTHETIC_MARKER) if isinstance(config, dict) else None
    if marker:
        preset = marker.get("preset", "model") if isinstance(marker, dict) else "model"
        return ModelState(True, f"synthetic/{preset}", True)
    return ModelState(True, folder.name, False)


class DesktopApp:
    """Builds the library, worker, watcher and window, and tears them down in order."""

    def __init__(self, args: argparse.Namespace) -> None:
        from humanaes_desktop.library import Library
        from humanaes_desktop.paths import cache_dir
        from humanaes_desktop.settings import AppSettings
        from humanaes_desktop.taste.keeper import TasteKeeper
        from humanaes_desktop.ui.background.library_client import LibraryClient
        from humanaes_desktop.ui.background.sidecar_client import SidecarClient
        from humanaes_desktop.ui.background.taste_client import TasteClient
        from humanaes_desktop.ui.background.worker_bridge import WorkerBridge
        from humanaes_desktop.ui.gallery.thumbnails import ThumbnailLoader

        self.args = args
        self.screenshot = args.screenshot is not None
        self.live_screenshot = self.screenshot and bool(args.while_scoring)
        self.settings = AppSettings.load()
        self.model_folder, self.trusted = self._resolve_model()
        self._engine_in_use = self._engine_key()
        self._profiles_in_use = self._profiles_key()
        self.library = Library.open(args.library)
        self.client = LibraryClient(self.library)
        self.taste = TasteClient(TasteKeeper(self.library))
        self.sidecar_client = SidecarClient(self.library.sidecars)
        self.thumbnails = ThumbnailLoader(
            cache_dir() / "thumbnails",
            disk_bytes=self.settings.thumbnail_cache_mb * 1024 * 1024,
            device_pixel_ratio=_screen_pixel_ratio(),
        )
        self.bridge = WorkerBridge()
        self.worker = self._make_worker() if self.live_screenshot or not self.screenshot else None
        self.first_pass = None if self.screenshot else self._make_first_pass()
        self.watcher = None
        self.first_run_dialog = None
        self.window = self._make_window()
        self._closed = False

    def _resolve_model(self) -> tuple[Path | None, bool]:
        from humanaes_desktop.model_choice import resolve_model_folder

        try:
            choice = resolve_model_folder(self.args.model, self.settings)
        except UserError as exc:
            log.info("no model: %s", exc)
            return None, False
        return choice.folder, choice.trusted

    def _engine_loader(self):
        from humanaes_desktop.model_choice import ModelChoice, model_loader

        if self.model_folder is None:
            return None
        s = self.settings
        return model_loader(ModelChoice(self.model_folder, self.trusted), s.device, s.dtype)

    def _make_worker(self):
        from humanaes_desktop.pipeline.worker import ScoringWorker

        return ScoringWorker(
            self.library,
            self._engine_loader(),
            self.settings.profile(),
            self.bridge.listener,
            annotate_all=self.settings.annotation == "on",
            profile_mode=self.settings.profile_mode,
        )

    def _make_first_pass(self):
        """Sharpness, exposure, faces and bursts for every photo, with or without a model."""
        from humanaes_desktop.engine.culling.grouping import GroupingSettings
        from humanaes_desktop.pipeline.first_pass import FirstPassWorker

        return FirstPassWorker(
            self.library,
            settings=GroupingSettings(burst_gap_s=self.settings.burst_gap_s),
            on_change=self.bridge.notify_culling_changed,
        )

    def _make_window(self):
        from humanaes_desktop.ui.window.main_window import MainWindow

        window = MainWindow(
            self.client,
            self.thumbnails,
            self.bridge,
            self.worker,
            model_state_for(self.model_folder),
            taste=self.taste,
            sidecars=self.sidecar_client,
        )
        window.resize(*self.args.size)
        window.detail_panel.set_annotation_on_demand(self.settings.annotation != "off")
        window.folders_edited.connect(self._restart_watcher)
        window.settings_requested.connect(self._open_settings)
        return window

    # -- running ----------------------------------------------------------------------------
    def run(self, qt_app) -> int:
        """Show the window, start background work from the event loop, run until closed."""
        from PySide6.QtCore import QTimer

        qt_app.aboutToQuit.connect(self.shutdown)
        self.window.show()
        self.window.activateWindow()  # keyboard culling works before the first click
        self.window.start()
        self.taste.load()
        if self.screenshot:
            from humanaes_desktop.ui.window.screenshot import ScreenshotTaker

            taker = ScreenshotTaker(
                self.window,
                self.args.screenshot,
                self.args.view,
                self.args.select,
                min_scored=self.args.while_scoring or 0,
            )
            taker.finished.connect(qt_app.exit)
            QTimer.singleShot(0, taker.start)
            if self.live_screenshot:
                QTimer.singleShot(0, self._start_background)
        else:
            QTimer.singleShot(0, self._start_background)
            QTimer.singleShot(0, self.offer_model_setup_on_first_run)
            QTimer.singleShot(0, self.open_paths)
            self._quit_on_signals(qt_app)
        code = qt_app.exec()
        self.shutdown()
        return code

    def _quit_on_signals(self, qt_app) -> None:
        """Ctrl-C in the terminal or a SIGTERM closes the app in order, like File → Quit."""
        import signal

        from PySide6.QtCore import QTimer

        def request_quit(signum, _frame) -> None:
            log.info("signal %s: quitting", signum)
            QTimer.singleShot(0, qt_app.quit)  # leave the handler; the loop does the rest

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, request_quit)
        # Python runs signal handlers only between bytecodes; while Qt waits for events no
        # Python runs, so a light timer lets a pending handler in.
        self._signal_timer = QTimer(self.window, interval=250)
        self._signal_timer.timeout.connect(lambda: None)
        self._signal_timer.start()

    def _start_background(self) -> None:
        def prepare() -> None:
            # Sidecars a crash left owed are written first; rating changes follow behind.
            self.sidecar_client.start_writer()
            self.library.requeue_interrupted()
            self.library.scan_all(self.client.report_scan_progress)

        # The watcher goes first on the same one-thread runner: a photo copied in while the
        # startup scan walks a large tree must not be missed until the next start.
        self._restart_watcher()
        self.client.run_in_background(
            prepare, "Preparing the library failed", lambda _r: self._library_prepared()
        )
        self.worker.start()

    def _library_prepared(self) -> None:
        self.window.library_changed()
        if self.first_pass is not None and not self._closed:
            self.first_pass.start()

    def _restart_watcher(self) -> None:
        """(Re)start the folder watcher off the GUI thread (it reads the folder list)."""
        from humanaes_desktop.library.watch import FolderWatcher

        old, self.watcher = self.watcher, None

        def restart() -> object:
            if old is not None:
                old.stop()
            watcher = FolderWatcher(
                self.library,
                on_change=self._on_files_changed,
                on_warning=self.bridge.notify_watch_problem,
            )
            watcher.start()
            return watcher

        self.client.run_in_background(restart, "Watching the folders failed", self._set_watcher)

    def _set_watcher(self, watcher) -> None:
        if self._closed:
            watcher.stop()
        else:
            self.watcher = watcher

    def _on_files_changed(self, *_args) -> None:
        # Called on the watcher's thread: only thread-safe calls here.
        if self.worker is not None:
            self.worker.wake()
        if self.first_pass is not None:
            self.first_pass.wake()
        self.bridge.notify_library_changed()

    def open_paths(self) -> None:
        """Watch the folders and photos' folders given on the command line (the menu's %F)."""
        from humanaes_desktop.opened_paths import folders_for, new_folders

        folders, problems = folders_for(self.args.paths)
        if problems:
            self.window.show_error(" ".join(problems))
        if not folders:
            return

        def pick() -> list[str]:
            return new_folders(folders, [f.path for f in self.library.folders(with_counts=False)])

        def add(chosen: list[str]) -> None:
            for folder in chosen:
                self.window.add_folder(folder)

        self.client.run_in_background(pick, "Opening the folders failed", add)

    def offer_model_setup_on_first_run(self):
        """On the very first start without any model, open Model setup (once, never again).

        Window-modal but not blocking (`open`, not `exec`): the event loop, the scan and the
        gallery keep running behind it. Returns the dialog, or None when it is not offered.
        """
        if self.screenshot or self.model_folder is not None or self.settings.model_setup_offered:
            return None
        from humanaes_desktop.ui.dialogs.model_setup import ModelSetupDialog

        self.settings.model_setup_offered = True  # remembered before showing: a crash never nags
        self.settings.save()
        dialog = ModelSetupDialog(self.settings, self.window)
        dialog.accepted.connect(self._apply_settings)  # it saved the chosen folder
        dialog.open()
        self.first_run_dialog = dialog
        return dialog

    def _open_settings(self) -> None:
        from humanaes_desktop.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(
            self.settings,
            self.window,
            in_use=str(self.model_folder) if self.model_folder else None,
            from_command_line=self.args.model is not None,
            taste=self.taste,
            sidecars=self.sidecar_client.settings(),
        )
        if dialog.exec():
            self.sidecar_client.save_settings(dialog.sidecar_settings())
            self._apply_settings()

    def _apply_settings(self) -> None:
        """Saved settings take effect: a new model, device, dtype or profile reaches the worker."""
        from humanaes_desktop.settings import AppSettings

        self.settings = AppSettings.load(self.settings.path)
        self.model_folder, self.trusted = self._resolve_model()
        self.window.set_model_state(model_state_for(self.model_folder))
        engine = self._engine_key()
        self.window.detail_panel.set_annotation_on_demand(self.settings.annotation != "off")
        if self.worker is not None:
            self.worker.annotate_all = self.settings.annotation == "on"
        if self.worker is None:
            return
        # Compared with what the worker got, not with self.settings: the Settings dialog edits
        # that object in place before this runs.
        profiles = self._profiles_key()
        if engine != self._engine_in_use:
            # Reloading costs up to a minute on a CPU: only when something the engine uses changed.
            self._engine_in_use, self._profiles_in_use = engine, profiles
            self.worker.set_engine_loader(self._engine_loader(), self.settings.profile())
            self.worker.set_profiles(*profiles)
            self.worker.wake()
        elif profiles != self._profiles_in_use:
            # Tiles or quick/full passes: the next claims follow them, the model stays loaded.
            self._profiles_in_use = profiles
            self.worker.set_profiles(*profiles)
            self.worker.wake()

    def _engine_key(self) -> tuple:
        """Everything the worker's engine depends on."""
        s = self.settings
        return self.model_folder, self.trusted, s.device, s.dtype

    def _profiles_key(self) -> tuple:
        """The full profile and the quick/full mode the worker scores with."""
        return self.settings.profile(), self.settings.profile_mode

    # -- shutdown ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Watcher, then worker, then thread pools, then the database. Idempotent."""
        from humanaes_desktop.ui.background.tasks import shutdown_all_runners

        if self._closed:
            return
        self._closed = True
        self.window.stop()
        self.window.hide()  # no more paints or user commands while the pieces stop
        if self.watcher is not None:
            self.watcher.stop()
        if self.first_pass is not None:
            self.first_pass.stop()  # finishes the few photos in hand (~0.1 s each)
        worker_done = True
        if self.worker is not None:
            # An image inside the model cannot be interrupted; on a CPU it can take a minute.
            # Past the grace period the app exits without it: its job stays "running" and
            # requeue_interrupted() puts it back at the next start, exactly as after a crash.
            worker_done = self.worker.stop(timeout=WORKER_STOP_GRACE_S)
            if not worker_done:
                log.warning(
                    "scoring worker still busy after %.0f s; leaving it", WORKER_STOP_GRACE_S
                )
        self.client.shutdown()  # every rating committed...
        self.sidecar_client.shutdown()
        self.library.sidecars.stop_writer()  # ...and in its sidecar before the app exits
        self.taste.shutdown()
        if self.watcher is not None:  # a restart finished while the pools drained
            self.watcher.stop()
        self.thumbnails.shutdown()
        # Whatever else still runs in the background (previews, a download, a copy) is asked
        # to stop and waited for: no pool outlives the app.
        shutdown_all_runners()
        if worker_done:
            self.library.close()  # else the daemon worker may still write: the exit closes it


if __name__ == "__main__":
    sys.exit(main())
