"""A large library opens with its first page while the gallery arrays load; once they are
loaded the whole list replaces it, the selection and the current photo kept. Sorts afterwards
come from the arrays, and live changes (ratings) are followed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import importlib.util  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from humanaes_desktop.library import Library, queries  # noqa: E402
from humanaes_desktop.library.records import GalleryQuery  # noqa: E402
from humanaes_desktop.ui.background import library_client  # noqa: E402
from humanaes_desktop.ui.background.library_client import LibraryClient  # noqa: E402
from humanaes_desktop.ui.window import main_window  # noqa: E402
from humanaes_desktop.ui.window.main_window import MainWindow, ModelState  # noqa: E402

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "synthetic_library.py"


class GatedLibrary(Library):
    """A real library whose gallery arrays wait for the test to let them load."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.gate = threading.Event()

    def load_gallery_arrays(self, progress=None) -> int:
        if progress is not None:
            progress(0, 600)
        assert self.gate.wait(30), "the test never opened the gate"
        return super().load_gallery_arrays(progress)


@pytest.fixture
def big(tmp_path, monkeypatch):
    """600 synthetic photos; the first page is 100 of them."""
    spec = importlib.util.spec_from_file_location("synthetic_library", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = module.build_library(tmp_path / "lib.sqlite3", 600, seed=4)
    monkeypatch.setattr(library_client, "FIRST_PAGE", 100)
    monkeypatch.setattr(main_window, "ARRAYS_PROGRESS_FROM", 500)
    library = GatedLibrary.open(path)
    yield library
    library.gate.set()
    library.close()


def test_first_page_first_then_the_whole_list_with_the_selection_kept(qtbot, big):
    client = LibraryClient(big)
    window = MainWindow(client, None, None, None, ModelState(True, "synthetic/tiny", True))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    qtbot.waitUntil(lambda: window.controller.queries_run >= 1, timeout=10_000)
    assert window.model.rowCount() == 100 and window.controller.showing_first_page
    qtbot.waitUntil(  # the arrays start loading once the first page is on screen
        lambda: "Loading the library: 0 of 600" in window.status.currentMessage(),
        timeout=10_000,
    )
    chosen = window.model.id_at(42)
    window.gallery.select_ids([chosen], current=chosen)
    everything = queries.query_ids(big._db, GalleryQuery())
    assert window.model.ids().tolist() == everything[:100]

    with qtbot.waitSignal(window.controller.results_applied, timeout=30_000):
        big.gate.set()
    assert window.model.rowCount() == len(everything) and not window.controller.showing_first_page
    assert window.gallery.current_id() == chosen and window.gallery.selected_ids() == [chosen]
    assert big.gallery_arrays_ready and window.status.currentMessage() == ""

    with qtbot.waitSignal(window.controller.results_applied, timeout=10_000):
        window.controller.update_query(sort_key="file_name", descending=False)
    assert window.model.ids().tolist() == big.query_ids(GalleryQuery(sort_key="file_name",
                                                                     descending=False))  # fmt: skip
    assert window.gallery.current_id() == chosen

    with qtbot.waitSignal(client.ratings_changed, timeout=10_000):
        client.set_rating([chosen], stars=5)
    with qtbot.waitSignal(window.controller.results_applied, timeout=10_000):
        window.controller.update_query(min_stars=5)
    assert chosen in window.model.ids().tolist()
    client.shutdown()


def test_a_folder_scan_shows_its_progress_then_clears_it(qtbot, tmp_path):
    module = importlib.util.module_from_spec(
        spec := importlib.util.spec_from_file_location("synthetic_library", GENERATOR)
    )
    spec.loader.exec_module(module)
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(600):  # more than one batch of reads (ingest.BATCH_SIZE = 500)
        (photos / f"p{i:04d}.png").write_bytes(module.tiny_png(i))
    with Library.open(tmp_path / "lib.sqlite3") as library:
        client = LibraryClient(library)
        window = MainWindow(client, None, None, None, ModelState(True, "synthetic/tiny", True))
        qtbot.addWidget(window)
        window.show()
        window.start()
        lines: list[str] = []
        client.scan_progress.connect(lambda *_: lines.append(window.status.currentMessage()))
        with qtbot.waitSignal(client.folders_changed, timeout=10_000):  # added
            window.add_folder(str(photos))
        with qtbot.waitSignal(client.folders_changed, timeout=60_000):  # scanned
            pass
        assert "Reading new and changed photos: 500 of 600 (83%)" in lines[1]
        assert lines[-1] == "" and window.status.currentMessage() == ""
        client.shutdown()


def test_a_folder_the_system_cannot_watch_completely_is_reported(qtbot, tmp_path):
    from humanaes_desktop.ui.background.worker_bridge import WorkerBridge

    with Library.open(tmp_path / "lib.sqlite3") as library:
        client, bridge = LibraryClient(library), WorkerBridge()
        window = MainWindow(client, None, bridge, None, ModelState(True, "synthetic/tiny", True))
        qtbot.addWidget(window)
        window.show()
        sentence = "/photos has more sub-folders than the system lets one user watch (…)"
        bridge.notify_watch_problem(sentence)  # as the watcher does, from its own thread
        qtbot.waitUntil(lambda: window.status.currentMessage() == sentence, timeout=5000)
        assert window._error_box is not None and window._error_box.text() == sentence
        client.shutdown()
