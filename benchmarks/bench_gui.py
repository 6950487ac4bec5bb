"""GUI benchmark on a 100,000-image synthetic library.

Measures, in one run on the same machine:
- window shown and first page of rows ready (from process start of the GUI part: Library.open,
  widgets, first query off the GUI thread, first paint), and how that compares with
  materialising every row (what the lazy model avoids);
- sort by every sort key: SQL query alone, and query + model reset + selection restore + repaint
  as the user sees it;
- scrolling the grid through real JPEG files while thumbnails load: the longest GUI-thread stall
  (max gap between ticks of a zero-interval timer), for the app's off-thread decoding and, side by
  side, for decoding on the GUI thread (what the design avoids);
- resident memory with the library open and no model.

    .venv/bin/python benchmarks/bench_gui.py --db /tmp/bench/bench.sqlite3

Every score in the library is SYNTHETIC (random numbers); only the timings mean something.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from tests.support.photos import PHOTOS_DIR as PHOTOS  # noqa: E402


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB (Linux)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            values[key] = int(value.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def ensure_library(db: Path, images: int) -> None:
    if db.exists():
        return
    from benchmarks.synthetic_library import build_library

    started = time.perf_counter()
    build_library(db, images, seed=0)
    print(f"(built {db} with {images} images in {time.perf_counter() - started:.0f} s)")


def write_real_files(db: Path, ids: list[int], rows, long_side: int = 1600) -> None:
    """Give the first rows real JPEG files (photos at camera-like size) and matching stats."""
    sources = []
    for name in ("astronaut.png", "chelsea.png", "coffee.png", "grace_hopper.jpg", "rocket.jpg"):
        with Image.open(PHOTOS / name) as im:
            im = im.convert("RGB")
            scale = long_side / max(im.size)
            sources.append(im.resize((int(im.width * scale), int(im.height * scale))))
    updates = []
    for i, row in enumerate(rows):
        path = Path(row.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sources[i % len(sources)].save(path, "JPEG", quality=88)
        st = path.stat()
        updates.append((st.st_size, st.st_mtime, row.id))
    with sqlite3.connect(db) as conn:
        conn.executemany("UPDATE images SET size = ?, mtime = ? WHERE id = ?", updates)


class StallMeter:
    """Max gap between ticks of a zero-interval timer: how long the GUI thread was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer(interval=0)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        if now - self._last > 0.05:
            self.long.append((round(now - self._start, 2), round((now - self._last) * 1000)))
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self.long: list[tuple[float, int]] = []  # (seconds into the run, gap ms) over 50 ms
        self._last = self._start = time.perf_counter()
        self._timer.start()

    def stop(self) -> tuple[float, float, int]:
        """(longest gap ms, time spent in gaps over one 60 Hz frame (16 ms), gaps over 50 ms)."""
        self._timer.stop()
        worst = max(self.gaps, default=0.0) * 1000
        blocked = sum(g for g in self.gaps if g > 0.016)
        return worst, blocked, len(self.long)


def wait_until(app, condition, timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark condition not reached")
        app.processEvents()
        time.sleep(0.001)


def settle(app, seconds: float) -> None:
    """Let the event loop run (batched grid layout, repaints) for a while."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def wait_for_signal(signal, timeout_ms: int = 60_000) -> None:
    """Block in a nested event loop (not spinning) until `signal` fires."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def main() -> int:
    parser = argparse.ArgumentParser(description="GUI benchmark (100k synthetic library)")
    parser.add_argument("--db", type=Path, default=None, help="reuse/build the library here")
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--scroll-images", type=int, default=2000, help="real files to scroll")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    os.environ["HUMANAES_DATA_DIR"] = str(workdir / "data")  # fresh thumbnail cache
    db = args.db or workdir / "bench.sqlite3"
    ensure_library(db, args.images)
    prepare_scroll_files(db, args.scroll_images)
    results = run_gui(db, args.scroll_images)
    print_results(results, args.images)
    return 0


def prepare_scroll_files(db: Path, count: int) -> None:
    from humanaes_desktop.library import Library
    from humanaes_desktop.library.records import GalleryQuery

    library = Library.open(db)
    try:
        ids = library.query_ids(GalleryQuery())[:count]
        rows = library.rows(ids)
        if rows and not Path(rows[-1].path).exists():
            write_real_files(db, ids, rows)
    finally:
        library.close()


def run_gui(db: Path, scroll_images: int) -> dict:
    started = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from humanaes_desktop.library import Library
    from humanaes_desktop.paths import cache_dir
    from humanaes_desktop.ui.background.library_client import LibraryClient
    from humanaes_desktop.ui.gallery.thumbnails import ThumbnailLoader
    from humanaes_desktop.ui.window.main_window import MainWindow, ModelState

    app = QApplication.instance() or QApplication([])
    library = Library.open(db)
    client = LibraryClient(library)
    thumbnails = ThumbnailLoader(cache_dir() / "thumbnails")
    window = MainWindow(client, thumbnails, None, None, ModelState(True, "synthetic", True))
    window.resize(1400, 900)
    window.show()
    window.start()
    app.processEvents()
    shown = time.perf_counter() - started
    wait_until(app, lambda: window.controller.queries_run >= 1)
    window.model.image_row(0)
    app.processEvents()  # first paint of the first page
    first_page = time.perf_counter() - started
    r = {"shown_s": shown, "first_page_s": first_page, "rows": window.model.rowCount()}
    r["all_rows_s"] = time_all_rows(library, window.model.ids())
    r["sorts"] = time_sorts(app, window, library)
    r["rss_after_sorts"] = rss_mb()
    r["scroll_async"] = time_scroll(app, window, scroll_images)
    r["decoded"] = len(list((cache_dir() / "thumbnails").rglob("*.jpg")))
    r["scroll_sync"] = time_scroll_sync(app, window, thumbnails, scroll_images)
    r["rss_end"] = rss_mb()
    r["load"] = os.getloadavg()[0]
    r["cached_rows"] = window.model.cached_rows
    window.close()
    client.shutdown()
    thumbnails.shutdown()
    library.close()
    return r


def time_all_rows(library, ids) -> float:
    """What an eager model would do: materialise every row."""
    started = time.perf_counter()
    for offset in range(0, len(ids), 2000):
        library.rows(list(ids[offset : offset + 2000]))
    return time.perf_counter() - started


def time_sorts(app, window, library) -> list[tuple[str, float, float]]:

    from humanaes_desktop.library.records import GalleryQuery
    from humanaes_desktop.ui.gallery.model import SORT_KEYS

    keys = [k for k in SORT_KEYS if k] + ["fast_score"]
    controller = window.controller
    pool_times: list[float] = []
    direct = library.query_ids

    def timed_query(query):  # the same call, timed where the app runs it (the read pool)
        started = time.perf_counter()
        try:
            return direct(query)
        finally:
            pool_times.append(time.perf_counter() - started)

    window.gallery.select_ids([window.model.id_at(3)], current=window.model.id_at(3))
    timings = []
    for key in keys:
        query = GalleryQuery(sort_key=key, descending=True)
        sql = []
        for _ in range(3):
            t = time.perf_counter()
            library.query_ids(query)
            sql.append(time.perf_counter() - t)
        ids = library.query_ids(query)
        t = time.perf_counter()
        controller._apply(ids)  # apply a known result: the GUI's own share
        app.processEvents()  # repaint
        gui = time.perf_counter() - t
        settle(app, 0.8)  # the previous result's grid layout finishes, as between two clicks
        library.query_ids = timed_query
        t = time.perf_counter()
        controller.set_query(query)  # same query as the SQL column: a fair comparison
        wait_for_signal(controller.results_applied)  # idle in the event loop, as the app is
        app.processEvents()  # repaint
        total = time.perf_counter() - t
        library.query_ids = direct
        in_pool = pool_times[-1] * 1000
        timings.append((key, statistics.median(sql) * 1000, gui * 1000, in_pool, total * 1000))
    done = controller.queries_run
    controller.set_query(GalleryQuery())
    wait_until(app, lambda: controller.queries_run > done)
    return timings


def time_scroll(app, window, scroll_images: int) -> tuple[float, float, int, float]:
    """Scroll the grid a third of a screen per 16 ms frame through the rows with real files."""
    window.gallery.set_mode("grid")
    grid = window.gallery.grid
    bar = grid.verticalScrollBar()
    bar.setValue(0)
    app.processEvents()
    columns = max(1, grid.viewport().width() // grid.gridSize().width())
    end = min(bar.maximum(), (scroll_images // columns) * grid.gridSize().height())
    step = max(1, grid.viewport().height() // 3)
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    next_frame = started
    while bar.value() < end:
        now = time.perf_counter()
        if now >= next_frame:
            bar.setValue(min(end, bar.value() + step))
            next_frame = now + 0.016
        app.processEvents()
    # then wait for the last screen's thumbnails, still measuring
    wait_until(app, lambda: window.thumbnails.in_flight == 0, timeout_s=120)
    elapsed = time.perf_counter() - started
    worst, blocked, over_50 = meter.stop()
    return worst, blocked, over_50, elapsed


def time_scroll_sync(app, window, thumbnails, scroll_images: int):
    """The same scroll with thumbnails decoded on the GUI thread (memory cache emptied)."""
    from PySide6.QtGui import QPixmap

    from humanaes_desktop.ui.gallery.thumbnails import decode_thumbnail

    original = thumbnails.pixmap
    thumbnails._memory.clear()
    thumbnails._memory_used = 0
    memo: dict[int, QPixmap] = {}

    def blocking_pixmap(image_id, path, size, mtime):
        if image_id not in memo:
            try:
                memo[image_id] = QPixmap.fromImage(decode_thumbnail(path, thumbnails.edge))
            except OSError:
                memo[image_id] = QPixmap()
        return memo[image_id]

    thumbnails.pixmap = blocking_pixmap
    try:
        return time_scroll(app, window, scroll_images)
    finally:
        thumbnails.pixmap = original


def print_results(r: dict, images: int) -> None:
    print(f"\nGUI benchmark — {r['rows']:,} images shown of a {images:,}-image synthetic library")
    print(f"(load average at the end: {r['load']:.1f} on {os.cpu_count()} CPUs)")
    print(f"window shown:                      {r['shown_s'] * 1000:8.0f} ms")
    print(f"first page of rows painted:        {r['first_page_s'] * 1000:8.0f} ms")
    print(
        f"materialising all rows instead:    {r['all_rows_s'] * 1000:8.0f} ms "
        f"({r['all_rows_s'] / r['first_page_s']:.1f}x the whole start-up)"
    )
    print(f"rows held by the model at the end: {r['cached_rows']:8d}")
    print(
        "\nsort key               SQL query   reset+restore+repaint   same query in the "
        "read pool   end to end (ms)"
    )
    for key, sql_ms, gui_ms, pool_ms, total_ms in r["sorts"]:
        print(f"{key:22s} {sql_ms:9.1f} {gui_ms:15.1f} {pool_ms:24.1f} {total_ms:18.1f}")
    med = [statistics.median(t[i] for t in r["sorts"]) for i in range(1, 5)]
    print(
        f"median over keys: SQL {med[0]:.1f} ms, GUI {med[1]:.1f} ms, "
        f"query in the pool {med[2]:.1f} ms, end to end {med[3]:.1f} ms; "
        f"slowest end to end {max(t[4] for t in r['sorts']):.1f} ms"
    )
    for label, (stall, blocked, over_50, elapsed) in (
        ("off-thread decode (the app)", r["scroll_async"]),
        ("decode on the GUI thread", r["scroll_sync"]),
    ):
        print(
            f"\nscroll, {label}: longest stall {stall:.0f} ms, {over_50} stalls over 50 ms, "
            f"GUI blocked (gaps > 16 ms) {blocked:.2f} s of {elapsed:.1f} s"
        )
    print(f"thumbnails decoded in the async run: {r['decoded']}")
    ratio = r["scroll_sync"][1] / max(r["scroll_async"][1], 1e-3)
    print(f"blocked-time ratio, GUI-thread / off-thread decode: {ratio:.1f}x")
    print(
        f"\nresident memory: {r['rss_after_sorts'][0]:.0f} MB after sorts, "
        f"{r['rss_end'][0]:.0f} MB at the end (peak {r['rss_end'][1]:.0f} MB), no model loaded"
    )


if __name__ == "__main__":
    sys.exit(main())
