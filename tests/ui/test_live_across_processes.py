"""A window beside `humanaes watch` in another process: it notices the other process's writes
and refreshes counts, scores and rows in place, keeping the selection and the scroll position."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

import pytest  # noqa: E402

from tests.support.libraries import KNOWN, UNSCORED, fill_library, write_images  # noqa: E402
from tests.support.watch_process import REPO_ROOT, start_watch, watch_command  # noqa: E402
from tests.support.windows import focus_on, names, open_window  # noqa: E402


@pytest.fixture
def filled(tmp_path):
    filled = fill_library(tmp_path / "library.sqlite3", tmp_path / "photos")
    yield filled
    filled.library.close()


def _row(window, image_id: int):
    return window.model.image_row(window.model.row_of(image_id))


def _sidebar_text(window) -> str:
    return window.sidebar.list.item(0).text()


def test_the_window_follows_humanaes_watch_running_beside_it(
    qtbot, filled, tmp_path, tiny_model_dir
):
    window, client, _bridge, _worker = open_window(qtbot, filled.library)
    chosen = filled.ids["c_blue.png"]
    focus_on(qtbot, window, chosen)
    qtbot.waitUntil(lambda: f"{len(KNOWN)} scored" in _sidebar_text(window), timeout=5000)
    write_images(tmp_path / "incoming", ["g_new.png"])  # a photo copied in while the app runs
    os.replace(tmp_path / "incoming" / "g_new.png", filled.folder / "g_new.png")

    args = watch_command(filled.folder, filled.db_path, tiny_model_dir, "--once")
    watch = start_watch(args, tmp_path / "data", tmp_path / "watch.log")
    try:
        qtbot.waitUntil(lambda: watch.poll() is not None, timeout=300_000)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0, (tmp_path / "watch.log").read_text()

    # Nothing in this process said anything changed: the window found out by itself.
    qtbot.waitUntil(lambda: "g_new.png" in names(window), timeout=10_000)
    qtbot.waitUntil(lambda: f"{len(KNOWN) + 2} scored" in _sidebar_text(window), timeout=10_000)
    assert window.gallery.selected_ids() == [chosen] and window.gallery.current_id() == chosen
    unscored = filled.ids[UNSCORED]
    assert _row(window, unscored).overall is not None  # the other process's score is shown
    assert window.status.queue_label.text() == "queue empty"

    # A change that adds no photo (a rating from another process) updates the row in place.
    resets = []
    window.model.modelReset.connect(lambda: resets.append(True))
    code = textwrap.dedent(
        f"""
        from humanaes_desktop.library import Library
        with Library.open({str(filled.db_path)!r}) as other:
            other.set_rating([{chosen}], stars=5)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=REPO_ROOT)
    qtbot.waitUntil(lambda: _row(window, chosen).rating.stars == 5, timeout=10_000)
    assert resets == []  # no reset: the rows under the user did not move
    assert window.gallery.selected_ids() == [chosen]
    client.shutdown()
