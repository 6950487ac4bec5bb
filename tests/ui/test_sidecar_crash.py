"""SIGKILL right after a rating keystroke in the real app: at the next start the sidecar holds
the rating (the database said what it owed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from humanaes_desktop import app as desktop
from tests.support.xmp import exiftool_metadata, library_with_photos

pytestmark = pytest.mark.slow

PRESS_4_THEN_WAIT = """
import sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from humanaes_desktop import app as desktop
from humanaes_desktop.library.xmp import service

# The write behind would come 1.5 s later; make sure the kill lands before it, however slow
# this machine is today.
start_writer = service.SidecarSync.start_writer
service.SidecarSync.start_writer = lambda self, debounce_s=0, on_result=None: start_writer(
    self, 3600, on_result
)
from humanaes_desktop.settings import AppSettings

AppSettings(model_setup_offered=True).save()  # no first-run dialog taking the keyboard
qt_app = QApplication([sys.argv[0]])
app = desktop.DesktopApp(desktop.build_parser().parse_args(["--library", sys.argv[1]]))

def press() -> None:
    window = app.window
    if window.model.rowCount():
        first = window.model.image_row(0).id
        window.gallery.select_ids([first], current=first)
        window.gallery.grid.setFocus()
    # QTest hands the key straight to the grid, past the window system's queue: until that queue
    # has made the window active no shortcut takes it and the "4" is lost (the timer can fire
    # before it on a loaded machine). A user's key comes through that queue, after activation.
    if not window.gallery.grid.hasFocus():
        QTimer.singleShot(100, press)
        return
    app.client.ratings_changed.connect(lambda _ids: print("rated", flush=True))
    QTest.keyClick(window.gallery.grid, Qt.Key.Key_4)

def no_rating() -> None:  # a failure says what state the app was in, not just "timed out"
    window = app.window
    print(
        f"no rating after 60 s: rows={window.model.rowCount()} active={window.isActiveWindow()} "
        f"grid focus={window.gallery.grid.hasFocus()} selected={window.gallery.selected_ids()}",
        flush=True,
    )

QTimer.singleShot(200, press)
QTimer.singleShot(60_000, no_rating)
app.run(qt_app)
"""


def test_sigkill_after_a_keystroke_the_sidecar_holds_the_rating_after_restart(
    qtbot, tmp_path, monkeypatch
):
    library, folder, _ids = library_with_photos(tmp_path, ["a.jpg"])
    library.close()
    db = tmp_path / "library.sqlite3"
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PRESS_4_THEN_WAIT), str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    watchdog = threading.Timer(120, proc.kill)  # a hung child must not hang the suite
    watchdog.start()
    try:
        assert proc.stdout.readline().strip() == "rated"
    finally:
        watchdog.cancel()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    sidecar = folder / "a.jpg.xmp"
    assert not sidecar.exists()  # the kill came before the write
    args = desktop.build_parser().parse_args(["--library", str(db)])
    app = desktop.DesktopApp(args)
    qtbot.addWidget(app.window)
    try:
        app.window.show()
        app.window.start()
        app._start_background()
        qtbot.waitUntil(sidecar.exists, timeout=30_000)
    finally:
        app.shutdown()
    assert exiftool_metadata(sidecar)["XMP-xmp:Rating"] == 4
