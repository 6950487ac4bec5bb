"""GUI benchmark on a synthetic library of 100,000 (or, with --images 1000000, a million) photos.

Measures, in one run on the same machine:
- window shown and first page of rows ready (from process start of the GUI part: Library.open,
  widgets, first query off the GUI thread, first paint), the gallery arrays loaded in the
  background after it, and (up to 200k photos) what materialising every row would cost;
- sort by every sort key, and a set of sort + filter combinations: the previous design's SQL
  query (the whole sorted id list, as every sort ran before the arrays) beside the arrays'
  answer (wall time and the query thread's CPU time), the GUI's share, and end to end as the
  user sees it (query in the read pool + model reset + selection restore + repaint);
- scrolling the grid through real JPEG files while thumbnails load: the longest GUI-thread stall
  (max gap between ticks of a zero-interval timer), for the app's off-thread decoding and, side by
  side, for decoding on the GUI thread (what the design avoids);
- resident memory with the library open and no model.

    .venv/bin/python benchmarks/bench_gui.py --db /tmp/bench/bench.sqlite3
    .venv/bin/python benchmarks/bench_gui.py --db /tmp/bench/1m.sqlite3 --images 1000000

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
    parser = argparse.ArgumentParser(description="GUI benchmark (large synthetic library)")
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

    marker = db.with_name(f"{db.name}.scroll-{count}")  # the files exist from an earlier run
    if marker.exists():
        return
    library = Library.open(db)
    try:
        library.load_gallery_arrays()  # the first photos as the gallery orders them
        ids = library.gallery_ids(GalleryQuery()).ids[:count].tolist()
        write_real_files(db, ids, library.rows(ids))
    finally:
        library.close()
    marker.touch()


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
    arrays_ready: list[float] = []
    client.arrays_ready.connect(lambda: arrays_ready.append(time.perf_counter() - started))
    window.show()
    window.start()
    app.processEvents()
    shown = time.perf_counter() - started
    wait_until(app, lambda: window.controller.queries_run >= 1)
    window.model.image_row(0)
    app.processEvents()  # first paint of the first page
    first_page = time.perf_counter() - started
    r = {"shown_s": shown, "first_page_s": first_page, "first_rows": window.model.rowCount()}
    r["loading_message"] = window.status.currentMessage()
    wait_until(app, lambda: bool(arrays_ready), timeout_s=900)
    wait_until(app, lambda: not window.controller.showing_first_page, timeout_s=60)
    r["arrays_s"] = arrays_ready[0]
    client._arrays.wait_idle()  # the usual keys sorted ahead (WARM_KEYS)
    r["warm_s"] = time.perf_counter() - started
    r["rows"] = window.model.rowCount()
    r["rss_loaded"] = rss_mb()
    r["arrays_mb"] = library._arrays.memory() / 1e6
    r["all_rows_s"] = time_all_rows(library, window.model.ids())
    r["sorts"] = time_sorts(app, window, library)
    r["filters"] = time_filters(app, window, library)
    r["rss_after_sorts"] = rss_mb()
    r["scroll_async"] = time_scroll(app, window, scroll_images)
    r["decoded"] = len(list((cache_dir() / "thumbnails").rglob("*.jpg")))
    r["scroll_sync"] = time_scroll_sync(app, window, thumbnails, scroll_images)
    r["rss_end"] = rss_mb()
    r["load"] = os.getloadavg()
    r["cached_rows"] = window.model.cached_rows
    window.close()
    client.shutdown()
    thumbnails.shutdown()
    library.close()
    return r


def time_all_rows(library, ids) -> float | None:
    """What an eager model would do: materialise every row (skipped beyond 200k photos, where
    it would take minutes and gigabytes)."""
    if len(ids) > 200_000:
        return None
    started = time.perf_counter()
    for offset in range(0, len(ids), 2000):
        library.rows(list(ids[offset : offset + 2000]))
    return time.perf_counter() - started


def _median_ms(fn, repeats: int = 3) -> tuple[float, float]:
    """(median wall ms, median CPU ms of this thread) of `fn()`."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.thread_time()
        fn()
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def time_query(app, window, library, query) -> dict:
    """One query: the previous design's SQL, the arrays, the GUI's share, end to end."""
    from humanaes_desktop.library import queries

    controller = window.controller
    db = library._db
    sql_ms, _ = _median_ms(lambda: queries.query_ids(db, query), repeats=2)
    arrays_ms, arrays_cpu = _median_ms(lambda: library.gallery_ids(query))
    result = library.gallery_ids(query)
    t = time.perf_counter()
    controller._apply(result)  # apply a known result: the GUI's own share
    app.processEvents()  # repaint
    gui = (time.perf_counter() - t) * 1000
    settle(app, 0.8)  # the previous result's grid layout finishes, as between two clicks
    pool: list[float] = []
    direct = library.gallery_ids

    def timed(*args, **kwargs):  # the same call, timed where the app runs it (the read pool)
        started = time.perf_counter()
        try:
            return direct(*args, **kwargs)
        finally:
            pool.append(time.perf_counter() - started)

    library.gallery_ids = timed
    t = time.perf_counter()
    controller.set_query(query)
    wait_for_signal(controller.results_applied)  # idle in the event loop, as the app is
    app.processEvents()  # repaint
    total = (time.perf_counter() - t) * 1000
    library.gallery_ids = direct
    return {"sql": sql_ms, "arrays": arrays_ms, "arrays_cpu": arrays_cpu, "gui": gui,
            "pool": pool[-1] * 1000, "total": total, "count": len(result)}  # fmt: skip


def time_sorts(app, window, library) -> list[tuple[str, dict]]:
    from humanaes_desktop.library.records import GalleryQuery
    from humanaes_desktop.ui.gallery.model import SORT_KEYS

    keys = [k for k in SORT_KEYS if k] + ["fast_score", "mtime"]
    window.gallery.select_ids([window.model.id_at(3)], current=window.model.id_at(3))
    timings = [(key, time_query(app, window, library, GalleryQuery(sort_key=key))) for key in keys]
    _back_to_default(app, window)
    return timings


FILTERS = {
    "good+excellent, by looks": dict(sort_key="looks", levels=frozenset({"good", "excellent"})),
    "one folder, fair+, by environment": dict(
        sort_key="environment", folder_id=3, levels=frozenset({"fair", "good", "excellent"})
    ),
    "picked, by overall": "picked",
    ">= 4 stars, by capture time": dict(sort_key="captured_at", min_stars=4),
    "name contains 'IMG_01', by overall": dict(text="IMG_01"),
    "name 'IMG_0123' + >= 3 stars": dict(text="IMG_0123", min_stars=3),
    "score >= 0.7, by file name asc": dict(min_overall=0.7, sort_key="file_name", descending=False),
    "queued or failed, by status": "queued_failed",
}


def time_filters(app, window, library) -> list[tuple[str, dict]]:
    from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus

    special = {
        "picked": dict(flags=frozenset({Flag.PICKED})),
        "queued_failed": dict(
            sort_key="status", statuses=frozenset({ImageStatus.QUEUED, ImageStatus.FAILED})
        ),
    }
    timings = []
    for label, fields in FILTERS.items():
        query = GalleryQuery(**special.get(fields, fields) if isinstance(fields, str) else fields)
        timings.append((label, time_query(app, window, library, query)))
    _back_to_default(app, window)
    return timings


def _back_to_default(app, window) -> None:
    from humanaes_desktop.library.records import GalleryQuery

    controller = window.controller
    done = controller.queries_run
    controller.set_query(GalleryQuery())
    wait_until(app, lambda: controller.queries_run > done)


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

    from humanaes_desktop.ui.background.view_decode import ViewDecodeError
    from humanaes_desktop.ui.gallery.thumbnails import decode_thumbnail

    original = thumbnails.pixmap
    thumbnails._memory.clear()
    thumbnails._memory_used = 0
    memo: dict[int, QPixmap] = {}

    def blocking_pixmap(image_id, path, size, mtime):
        if image_id not in memo:
            try:
                memo[image_id] = QPixmap.fromImage(decode_thumbnail(path, thumbnails.edge))
            except (OSError, ViewDecodeError):  # a synthetic photo has no file, as the app's
                memo[image_id] = QPixmap()  # pool gives an empty cell
        return memo[image_id]

    thumbnails.pixmap = blocking_pixmap
    try:
        return time_scroll(app, window, scroll_images)
    finally:
        thumbnails.pixmap = original


def _print_table(title: str, rows: list[tuple[str, dict]]) -> None:
    print(f"\n{title:36s} {'photos':>9s} {'previous: SQL':>13s} {'arrays':>8s} {'(CPU)':>7s}"
          f" {'GUI':>6s} {'in pool':>8s} {'end to end':>11s}  (ms)")  # fmt: skip
    for label, t in rows:
        print(f"{label:36s} {t['count']:9,d} {t['sql']:13.1f} {t['arrays']:8.1f}"
              f" {t['arrays_cpu']:7.1f} {t['gui']:6.1f} {t['pool']:8.1f} {t['total']:11.1f}")  # fmt: skip
    med = {k: statistics.median(t[k] for _, t in rows) for k in ("sql", "arrays", "gui", "total")}
    print(
        f"median: previous SQL {med['sql']:.1f} ms, arrays {med['arrays']:.1f} ms, GUI "
        f"{med['gui']:.1f} ms, end to end {med['total']:.1f} ms; slowest end to end "
        f"{max(t['total'] for _, t in rows):.1f} ms; SQL/arrays {med['sql'] / med['arrays']:.0f}x"
    )


def print_results(r: dict, images: int) -> None:
    load = ", ".join(f"{x:.1f}" for x in r["load"])
    print(f"\nGUI benchmark — {r['rows']:,} images shown of a {images:,}-image synthetic library")
    print(f"(load average at the end: {load} on {os.cpu_count()} CPUs)")
    print(f"window shown:                      {r['shown_s'] * 1000:8.0f} ms")
    print(
        f"first page of rows painted:        {r['first_page_s'] * 1000:8.0f} ms "
        f"({r['first_rows']:,} photos; status bar: {r['loading_message'] or '-'!r})"
    )
    print(f"gallery arrays loaded:             {r['arrays_s'] * 1000:8.0f} ms (in the background)")
    print(f"usual sort keys sorted ahead:      {r['warm_s'] * 1000:8.0f} ms")
    if r["all_rows_s"] is not None:
        print(
            f"materialising all rows instead:    {r['all_rows_s'] * 1000:8.0f} ms "
            f"({r['all_rows_s'] / r['first_page_s']:.1f}x the whole start-up)"
        )
    print(f"rows held by the model at the end: {r['cached_rows']:8d}")
    _print_table("sort key (descending)", r["sorts"])
    _print_table("sort + filter", r["filters"])
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
        f"\nresident memory, no model loaded: {r['rss_loaded'][0]:.0f} MB with the arrays loaded "
        f"(arrays {r['arrays_mb']:.0f} MB), {r['rss_after_sorts'][0]:.0f} MB after sorts, "
        f"{r['rss_end'][0]:.0f} MB at the end (peak {r['rss_end'][1]:.0f} MB)"
    )


if __name__ == "__main__":
    sys.exit(main())
