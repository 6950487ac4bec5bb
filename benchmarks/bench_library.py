"""Library benchmarks: folder scan at 100k files, watcher burst, gallery queries at 100k scores.

    .venv/bin/python benchmarks/bench_library.py            # everything (several minutes)
    .venv/bin/python benchmarks/bench_library.py --files 20000 --images 20000 --burst 1000

1. Scan: a generated tree of tiny, distinct PNG files (100 folders); cold scan (every file is
   fingerprinted and its header read), then an unchanged rescan (target: under 10 s).
2. Watcher: a burst of files written into the scanned, watched tree; time until all are queued;
   checks that none was lost and none queued twice.
3. Queries on a synthetic 100k-assessment library (benchmarks/synthetic_library.py): the full
   sorted id list for every sort key (target < 100 ms), top-100 and a filtered page (< 50 ms),
   side by side with the same sort done through a join on the assessments table (what the
   denormalised, covering-indexed image columns avoid).

Everything is generated under a temporary folder (in /tmp) and deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic_library import build_library, tiny_png  # noqa: E402
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.queries import SORT_KEYS  # noqa: E402
from humanaes_desktop.library.records import Flag, GalleryQuery, ScanReport  # noqa: E402
from humanaes_desktop.library.watch import FolderWatcher  # noqa: E402

FILES_PER_DIR = 1000


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _median(fn, repeats: int) -> float:
    fn()  # warm the page cache: the GUI asks the same questions again and again
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def write_tree(root: Path, count: int, offset: int = 0) -> float:
    """Write `count` distinct tiny PNGs in folders of FILES_PER_DIR; returns seconds taken."""
    started = time.perf_counter()
    for i in range(count):
        folder = root / f"dir{(offset + i) // FILES_PER_DIR:04d}"
        if i == 0 or (offset + i) % FILES_PER_DIR == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"img{offset + i:07d}.png").write_bytes(tiny_png(offset + i))
    return time.perf_counter() - started


class RecordingLibrary(Library):
    """Counts what the watcher's batches did (to prove nothing was lost or queued twice)."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.watch_total = ScanReport()
        self._lock = threading.Lock()

    def apply_fs_changes(self, created=(), modified=(), deleted=(), moved=()):
        report = super().apply_fs_changes(created, modified, deleted, moved)
        with self._lock:
            self.watch_total += report
        return report


def bench_scan_and_watch(work: Path, n_files: int, n_burst: int) -> list[tuple[str, str, str]]:
    tree = work / "tree"
    results = []
    written = write_tree(tree, n_files)
    results.append((f"write {n_files:,} files", f"{written:8.1f} s", "(setup)"))
    lib = RecordingLibrary.open(work / "scan.sqlite3")
    try:
        folder = lib.add_folder(tree)
        started = time.perf_counter()
        cold = lib.scan_folder(folder.id)
        results.append(("cold scan", f"{time.perf_counter() - started:8.1f} s", cold.summary()))
        started = time.perf_counter()
        warm = lib.scan_folder(folder.id)
        took = time.perf_counter() - started
        verdict = "OK" if took < 10 else "OVER 10 s TARGET"
        results.append(("unchanged rescan", f"{took:8.2f} s", f"{warm.summary()}  {verdict}"))
        results.append(bench_burst(lib, tree, n_files, n_burst))
    finally:
        lib.close()
    return results


def bench_burst(lib: RecordingLibrary, tree: Path, n_files: int, n_burst: int):
    watcher = FolderWatcher(lib, settle_s=1.0)
    watcher.start()
    try:
        queued_before = lib.queue_counts().queued
        started = time.perf_counter()
        write_tree(tree / "burst", n_burst, offset=n_files)
        written = time.perf_counter() - started
        deadline = started + 600
        while (
            lib.queue_counts().queued < queued_before + n_burst and time.perf_counter() < deadline
        ):
            time.sleep(0.05)
        took = time.perf_counter() - started
    finally:
        watcher.stop()
    total = lib.watch_total
    queued = lib.queue_counts().queued - queued_before
    ok = queued == n_burst and total.added == n_burst and total.changed == 0
    detail = (
        f"copy {written:.1f} s; queued {queued}, added {total.added}, re-queued {total.changed}"
        f" -> {'none lost, none twice' if ok else 'MISMATCH'}"
    )
    return (f"watcher burst {n_burst:,} files", f"{took:8.1f} s", detail)


def _join_sort(db_path: Path, key: str):
    """The same sort through a join on assessments (no denormalised copy on the image row)."""
    sql = (
        "SELECT images.id FROM images JOIN assessments"
        " ON assessments.id = images.current_assessment_id"
        f" WHERE images.status != 'missing' ORDER BY assessments.{key} DESC"
    )
    conn = sqlite3.connect(db_path)

    def run():
        return [i for (i,) in conn.execute(sql)]

    return run, conn


def _previous_name_filter(db_path: Path, text: str, extra: str = ""):
    """The name filter as first built: `lower(name) LIKE lower(text)` over the wide table rows."""
    where = f"status != 'missing' {extra} AND lower(file_name) LIKE lower(?) ESCAPE '\\'"
    scored = f"SELECT id FROM images WHERE {where} AND overall IS NOT NULL"
    first = f"{scored} ORDER BY +images.overall DESC"
    rest = f"SELECT id FROM images WHERE {where} AND overall IS NULL ORDER BY id"
    conn = sqlite3.connect(db_path)
    pattern = (f"%{text}%",)

    def run():
        return [i for (i,) in conn.execute(first, pattern)] + [
            i for (i,) in conn.execute(rest, pattern)
        ]

    return run, conn


def _name_filter_comparison(lib: Library, db_path: Path, repeats: int):
    cases = {
        "'IMG_01'": (GalleryQuery(text="IMG_01"), ""),
        "'IMG_0123'": (GalleryQuery(text="IMG_0123"), ""),
        "'IMG_01', >= 4 stars": (GalleryQuery(text="IMG_01", min_stars=4), "AND stars >= 4"),
    }
    results = []
    for label, (query, extra) in cases.items():
        previous, conn = _previous_name_filter(db_path, query.text, extra)
        try:
            assert set(previous()) == set(lib.query_ids(query)), "the two must match the same"
            before = _median(previous, repeats)
        finally:
            conn.close()
        ours = _median(lambda q=query: lib.query_ids(q), repeats)
        results.append(
            (
                f"name {label}: ids, lower() LIKE scan",
                _ms(before),
                f"now {_ms(ours).strip()}: {before / ours:.1f}x faster",
            )
        )
    return results


def bench_queries(work: Path, n_images: int, repeats: int) -> list[tuple[str, str, str]]:
    db_path = work / "gallery.sqlite3"
    started = time.perf_counter()
    build_library(db_path, n_images=n_images, seed=0)
    results = [
        (f"build {n_images:,}-image library", f"{time.perf_counter() - started:8.1f} s", "(setup)")
    ]
    lib = Library.open(db_path)
    try:
        for key in SORT_KEYS:
            down = _median(lambda k=key: lib.query_ids(GalleryQuery(sort_key=k)), repeats)
            up = _median(
                lambda k=key: lib.query_ids(GalleryQuery(sort_key=k, descending=False)), repeats
            )
            worst = max(down, up)
            results.append(
                (f"query_ids sort {key}", _ms(worst), "OK" if worst < 0.1 else "OVER 100 ms")
            )
        for key in ("overall", "looks", "environment"):
            took = _median(lambda k=key: lib.top_n(100, key=k), repeats)
            results.append(
                (f"top-100 by {key} (ids+rows)", _ms(took), "OK" if took < 0.05 else "OVER 50 ms")
            )
        results += _filtered_pages(lib, repeats)
        results += _join_comparison(lib, db_path, repeats)
        results += _name_filter_comparison(lib, db_path, repeats)
        with_counts = _median(lib.folders, repeats)
        without = _median(lambda: lib.folders(with_counts=False), repeats)
        results.append(
            (
                "folders(): with image counts",
                _ms(with_counts),
                f"without (what the watcher polls each second): {_ms(without).strip()}",
            )
        )
    finally:
        lib.close()
    return results


def _filtered_pages(lib: Library, repeats: int):
    pages = {
        "page: folder 3, good+excellent, by looks": GalleryQuery(
            sort_key="looks", folder_id=3, levels=frozenset({"good", "excellent"})
        ),
        "page: good+excellent, by looks": GalleryQuery(
            sort_key="looks", levels=frozenset({"good", "excellent"})
        ),
        "page: picked, by overall": GalleryQuery(flags=frozenset({Flag.PICKED})),
        "page: name contains 'IMG_01', by overall": GalleryQuery(text="IMG_01"),
        "page: >= 4 stars, 'IMG_01'": GalleryQuery(min_stars=4, text="IMG_01"),
    }
    results = []
    for label, query in pages.items():
        took = _median(lambda q=query: lib.rows(lib.query_ids(q)[:200]), repeats)
        results.append((label, _ms(took), "OK" if took < 0.05 else "OVER 50 ms"))
    return results


def _join_comparison(lib: Library, db_path: Path, repeats: int):
    results = []
    for key in ("overall", DIMENSION_KEYS[8]):
        ours = _median(lambda k=key: lib.query_ids(GalleryQuery(sort_key=k)), repeats)
        run, conn = _join_sort(db_path, key)
        try:
            joined = _median(run, repeats)
        finally:
            conn.close()
        results.append(
            (
                f"sort {key}: join on assessments",
                _ms(joined),
                f"ours is {joined / ours:.1f}x faster",
            )
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="HumanAes library benchmarks")
    parser.add_argument("--files", type=int, default=100_000, help="files in the scanned tree")
    parser.add_argument("--burst", type=int, default=5_000, help="files in the watcher burst")
    parser.add_argument("--images", type=int, default=100_000, help="images in the query library")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="humanaes-bench-library-", dir="/tmp"))
    rows: list[tuple[str, str, str]] = []
    try:
        if not args.skip_queries:
            rows += bench_queries(work, args.images, args.repeats)
        if not args.skip_scan:
            rows += bench_scan_and_watch(work, args.files, args.burst)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nlibrary benchmarks ({os.cpu_count()} CPUs, load average {load})\n")
    print(f"| {'measurement':<44} | {'time':>11} | notes")
    print(f"|{'-' * 46}|{'-' * 13}|------")
    for name, value, note in rows:
        print(f"| {name:<44} | {value:>11} | {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
