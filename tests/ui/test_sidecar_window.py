"""The sidecar sync in the real window: a keystroke reaches the sidecar off the GUI thread, the
detail panel and status bar say what happened, conflicts are settled in the modeless window,
and "Write metadata now" runs with progress."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from humanaes_desktop.ui.background.library_client import LibraryClient
from humanaes_desktop.ui.background.sidecar_client import SidecarClient
from humanaes_desktop.ui.background.worker_bridge import WorkerBridge
from humanaes_desktop.ui.window.main_window import MainWindow, ModelState
from tests.support.libraries import fill_library
from tests.support.xmp import exiftool_metadata, exiftool_write

NAME = "a_red.png"


@pytest.fixture
def window(qtbot, tmp_path):
    filled = fill_library(tmp_path / "library.sqlite3", tmp_path / "photos")
    client = LibraryClient(filled.library)
    sidecars = SidecarClient(filled.library.sidecars)
    filled.library.sidecars.start_writer(debounce_s=0.2, on_result=sidecars._on_writer_result)
    window = MainWindow(
        client,
        None,
        WorkerBridge(),
        None,
        ModelState(True, "synthetic/tiny", True),
        sidecars=sidecars,
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    qtbot.waitUntil(lambda: window.controller.queries_run >= 1, timeout=5000)
    window.filled = filled
    yield window
    client.shutdown()
    sidecars.shutdown()
    filled.library.close()


def _rate(qtbot, window, key) -> None:
    image_id = window.filled.ids[NAME]
    window.gallery.select_ids([image_id], current=image_id)
    window.activateWindow()
    window.gallery.grid.setFocus()
    qtbot.waitUntil(lambda: window.gallery.grid.hasFocus(), timeout=3000)
    with qtbot.waitSignal(window.client.ratings_changed, timeout=5000):
        QTest.keyClick(window.gallery.grid, key)


def test_a_keystroke_reaches_the_sidecar_and_the_detail_panel_says_where(qtbot, window):
    sidecar = window.filled.folder / f"{NAME}.xmp"
    _rate(qtbot, window, Qt.Key.Key_4)
    qtbot.waitUntil(sidecar.exists, timeout=10_000)
    label = window.detail_panel.sidecar_label
    qtbot.waitUntil(lambda: label.text() == f"Sidecar: {NAME}.xmp", timeout=10_000)
    assert label.isVisible()
    assert exiftool_metadata(sidecar)["XMP-xmp:Rating"] == 4


def test_a_broken_sidecar_is_shown_as_an_error_and_left_alone(qtbot, window):
    sidecar = window.filled.folder / f"{NAME}.xmp"
    sidecar.write_bytes(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF")
    _rate(qtbot, window, Qt.Key.Key_2)
    label = window.detail_panel.sidecar_label
    qtbot.waitUntil(lambda: label.text().startswith("Sidecar not updated:"), timeout=10_000)
    assert "not well-formed" in label.text()
    errors = window.sidecar_sync.errors_label
    qtbot.waitUntil(
        lambda: errors.isVisible() and errors.text() == "1 sidecar error", timeout=10_000
    )
    assert sidecar.read_bytes() == b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF"


def test_conflicts_are_counted_and_settled_in_the_modeless_window(qtbot, window):
    sidecar = window.filled.folder / f"{NAME}.xmp"
    _rate(qtbot, window, Qt.Key.Key_3)
    qtbot.waitUntil(sidecar.exists, timeout=10_000)
    window.filled.library.sidecars.flush(timeout=30)
    exiftool_write(sidecar, "-XMP:Rating=1")  # another tool...
    _rate(qtbot, window, Qt.Key.Key_5)  # ...and the user, both since the last sync
    button = window.sidecar_sync.conflicts_button
    window.filled.library.sidecars.flush(timeout=30)
    window.sidecar_sync.refresh()
    qtbot.waitUntil(
        lambda: button.isVisible() and button.text() == "1 sync conflict", timeout=10_000
    )
    button.click()
    dialog = window.sidecar_sync.dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.isVisible() and not dialog.isModal()
    assert [dialog.table.item(0, c).text() for c in (1, 2, 3)] == ["Stars", "5 stars", "1 star"]
    dialog.take_file.click()
    row_of = window.model.row_of
    qtbot.waitUntil(
        lambda: window.model.image_row(row_of(window.filled.ids[NAME])).rating.stars == 1,
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: not button.isVisible() and dialog.table.rowCount() == 0, timeout=10_000)


def test_write_metadata_now_writes_every_photo_with_progress(qtbot, window):
    library = window.filled.library
    library.set_rating(list(window.filled.ids.values()), stars=2)
    library.sidecars.update_settings(write_scores=True, write_synthetic=True)
    assert window.sidecar_sync.write_now in window.menuBar().actions()[0].menu().actions()
    with qtbot.waitSignal(window.sidecar_sync.client.bulk_finished, timeout=30_000) as done:
        window.sidecar_sync.write_now.trigger()
    assert done.args == [len(window.filled.ids), False]
    written = sorted(p.name for p in window.filled.folder.glob("*.xmp"))
    assert written == sorted(f"{name}.xmp" for name in window.filled.ids)
    assert exiftool_metadata(window.filled.folder / f"{NAME}.xmp")["XMP-humanaes:Overall"] == 0.91
    assert "Sidecars: synced" in window.statusBar().currentMessage()
