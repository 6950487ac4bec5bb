"""Library benchmarks: folder scan, watcher burst, gallery queries, at 100k or a million photos.

    .venv/bin/python benchmarks/bench_library.py            # everything at 100k (several minutes)
    .venv/bin/python benchmarks/bench_library.py --files 20000 --images 20000 --burst 1000
    .venv/bin/python benchmarks/bench_library.py --images 1000000 --files 1000000 --burst 50000

1. Scan: a generated tree of tiny, distinct PNG files (folders of 1,000); cold scan (every file
   is fingerprinted and its header read; progress and ETA on stderr), then an unchanged rescan
   (target: under 10 s at 100k, 30 s at a million). Side by side on a smaller tree
   (--trigger-files): the cold scan with and without the change log's triggers (schema v4),
   what they add to every write.
2. Watcher: a burst of files written into the scanned, watched tree; time until all are queued;
   checks that none was lost and none queued twice; the inotify watches held (one per
   directory) against the system's limit, and the process's memory while watching.
3. Queries on a synthetic library (benchmarks/synthetic_library.py): for every sort key and
   some filter combinations, the previous design (the whole sorted id list from SQL) beside the
   gallery arrays (library/arrays/: answers from memory; target < 15 ms at 100k, < 50 ms at a
   million), the arrays' load time and memory; top-100; and the same sort through a join on
   the assessments table (what the denormalised, covering-indexed image columns avoid).

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
from humanaes_desktop.library import Library, queries, watch_limits  # noqa: E402
from humanaes_desktop.library.queries import SORT_KEYS  # noqa: E402
from humanaes_desktop.library.records import Flag, GalleryQuery, ScanReport  # noqa: E402
from humanaes_desktop.library.taste_store import TASTE_FEATURES  # noqa: E402
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


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


class ScanProgress:
    """Progress and ETA of a scan on stderr, one line every 10 s (what `library scan` shows)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done and (now - self.last >= 10 or done == total):
            self.last = now
            eta = (now - self.started) * (total - done) / done
            print(f"  scan: {done:,}/{total:,} files read, ETA {eta:.0f} s", file=sys.stderr)


def _cold_scan(db_path: Path, tree: Path, with_triggers: bool) -> tuple[float, ScanReport]:
    lib = Library.open(db_path)
    try:
        if not with_triggers:  # the previous design: no change log on every write
            with sqlite3.connect(db_path) as conn:
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
                    conn.execute(f"DROP TRIGGER {name}")
            conn.close()
        folder = lib.add_folder(tree)
        started = time.perf_counter()
        report = lib.scan_folder(folder.id, ScanProgress())
        return time.perf_counter() - started, report
    finally:
        lib.close()


def bench_triggers(work: Path, n_files: int) -> list[tuple[str, str, str]]:
    """The change log's cost on writes: the same cold scan with and without its triggers."""
    tree = work / "trigger-tree"
    write_tree(tree, n_files)
    times = {True: [], False: []}
    for round_ in range(2):  # interleaved: the machine's load drifts
        for with_triggers in (False, True):
            db = work / f"trigger-{round_}-{with_triggers}.sqlite3"
            times[with_triggers].append(_cold_scan(db, tree, with_triggers)[0])
    before, after = min(times[False]), min(times[True])
    return [(f"cold scan {n_files:,} files: previous (no triggers)", f"{before:8.1f} s",
             f"with the change log {after:.1f} s: {after / before:.2f}x")]  # fmt: skip


def bench_scan_and_watch(work: Path, n_files: int, n_burst: int) -> list[tuple[str, str, str]]:
    tree = work / "tree"
    results = []
    written = write_tree(tree, n_files)
    results.append((f"write {n_files:,} files", f"{written:8.1f} s", "(setup)"))
    lib = RecordingLibrary.open(work / "scan.sqlite3")
    try:
        folder = lib.add_folder(tree)
        started = time.perf_counter()
        cold = lib.scan_folder(folder.id, ScanProgress())
        results.append(("cold scan", f"{time.perf_counter() - started:8.1f} s", cold.summary()))
        started, cpu = time.perf_counter(), time.process_time()
        warm = lib.scan_folder(folder.id)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        target = 10 if n_files <= 100_000 else 30
        verdict = "OK" if took < target else f"OVER {target} s TARGET"
        results.append(("unchanged rescan", f"{took:8.2f} s",
                        f"{warm.summary()}; CPU {cpu:.1f} s  {verdict}"))  # fmt: skip
        results += bench_burst(lib, tree, n_files, n_burst)
    finally:
        lib.close()
    return results


def bench_burst(lib: RecordingLibrary, tree: Path, n_files: int, n_burst: int):
    before_start = rss_mb()
    watcher = FolderWatcher(lib, settle_s=1.0)
    started = time.perf_counter()
    watcher.start()
    watching = [
        ("watcher start", f"{time.perf_counter() - started:8.1f} s",
         f"{watcher.watch_count():,} inotify watches (one per directory; the limit "
         f"fs.inotify.max_user_watches is {watch_limits.max_user_watches():,}); "
         f"memory +{rss_mb() - before_start:.0f} MB"),
    ]  # fmt: skip
    peak = rss_mb()
    try:
        queued_before = lib.queue_counts().queued
        started = time.perf_counter()
        write_tree(tree / "burst", n_burst, offset=n_files)
        written = time.perf_counter() - started
        deadline = started + 1800
        while (
            lib.queue_counts().queued < queued_before + n_burst and time.perf_counter() < deadline
        ):
            peak = max(peak, rss_mb())
            time.sleep(0.2)
        took = time.perf_counter() - started
        time.sleep(3)  # anything queued twice would arrive now
    finally:
        watcher.stop()
    total = lib.watch_total
    queued = lib.queue_counts().queued - queued_before
    ok = queued == n_burst and total.added == n_burst and total.changed == 0
    detail = (
        f"copy {written:.1f} s; queued {queued}, added {total.added}, re-queued {total.changed}"
        f" -> {'none lost, none twice' if ok else 'MISMATCH'}; memory while applying it "
        f"{peak - before_start:+.0f} MB over the watcher's start"
    )
    return watching + [(f"watcher burst {n_burst:,} files", f"{took:8.1f} s", detail)]


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
        ours = _median(lambda q=query: queries.query_ids(lib._db, q), repeats)
        results.append(
            (
                f"name {label}: ids, lower() LIKE scan",
                _ms(before),
                f"now {_ms(ours).strip()}: {before / ours:.1f}x faster",
            )
        )
    return results


def _a_taste(lib: Library) -> None:
    """A learnt, offered taste (fixed weights), so "your taste" is among the keys timed."""
    weights = {name: 0.0 for name in TASTE_FEATURES}
    weights.update(overall=0.6, looks=0.3, environment=0.2, level=-0.05)
    lib.save_taste({"offered": True, "column_weights": weights, "reason": "benchmark"}, ratings=50)


def _both(lib: Library, query: GalleryQuery, repeats: int, page: bool = False):
    """(previous design: the whole sorted list from SQL, the arrays) in seconds."""
    sql = (lambda: queries.query_ids(lib._db, query)) if not page else (
        lambda: lib.rows(queries.query_ids(lib._db, query)[:200]))  # fmt: skip
    arrays = (lambda: lib.gallery_ids(query)) if not page else (
        lambda: lib.rows(lib.gallery_ids(query).ids[:200].tolist()))  # fmt: skip
    return _median(sql, max(2, repeats // 2)), _median(arrays, repeats)


def bench_queries(
    work: Path, n_images: int, repeats: int, db_path: Path | None = None
) -> list[tuple[str, str, str]]:
    results = []
    if db_path is None or not db_path.exists():
        db_path = db_path or work / "gallery.sqlite3"
        started = time.perf_counter()
        build_library(db_path, n_images=n_images, seed=0)
        built = f"{time.perf_counter() - started:8.1f} s"
        results.append((f"build {n_images:,}-image library", built, "(setup)"))
    lib = Library.open(db_path)
    target = 0.015 if n_images <= 100_000 else 0.05
    try:
        _a_taste(lib)
        before = rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        lib.load_gallery_arrays()
        loaded = time.perf_counter() - started
        results.append(("gallery arrays: load", f"{loaded:8.1f} s",
                        f"CPU {time.process_time() - cpu:.1f} s; memory +{rss_mb() - before:.0f} MB"
                        f" ({lib._arrays.memory() / 1e6:.0f} MB of arrays)"))  # fmt: skip
        started = time.perf_counter()
        lib.warm_gallery_arrays()
        warmed = f"{time.perf_counter() - started:8.1f} s"
        results.append(("gallery arrays: usual keys sorted ahead", warmed, "(in the background)"))
        for key in SORT_KEYS:
            times = [_both(lib, GalleryQuery(sort_key=key, descending=d), repeats)
                     for d in (True, False)]  # fmt: skip
            sql, arrays = max(t[0] for t in times), max(t[1] for t in times)
            verdict = "OK" if arrays < target else f"OVER {target * 1000:.0f} ms"
            results.append((f"sort {key}, worst direction", _ms(arrays),
                            f"previous SQL {_ms(sql).strip()} ({sql / arrays:.0f}x)  {verdict}"))  # fmt: skip
        for key in ("overall", "looks", "environment"):
            took = _median(lambda k=key: lib.top_n(100, key=k), repeats)
            verdict = "OK" if took < 0.05 else "OVER 50 ms"
            results.append((f"top-100 by {key} (ids+rows)", _ms(took), verdict))
        results += _filtered_pages(lib, repeats)
        results += _join_comparison(lib, db_path, repeats)
        results += _name_filter_comparison(lib, db_path, repeats)
        with_counts = _median(lib.folders, repeats)
        without = _median(lambda: lib.folders(with_counts=False), repeats)
        results.append(("folders(): with image counts", _ms(with_counts),
                        f"without (what the watcher polls each second): {_ms(without).strip()}"))  # fmt: skip
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
        "page: score >= 0.7, by file name": GalleryQuery(
            min_overall=0.7, sort_key="file_name", descending=False
        ),
        "page: by taste, >= 1 star": GalleryQuery(sort_key="taste", min_stars=1),
    }
    results = []
    for label, query in pages.items():
        sql, arrays = _both(lib, query, repeats, page=True)
        verdict = "OK" if arrays < 0.05 else "OVER 50 ms"  # ids + 200 rows read from SQL
        results.append((label, _ms(arrays),
                        f"previous SQL {_ms(sql).strip()} ({sql / arrays:.0f}x)  {verdict}"))  # fmt: skip
    return results


def _join_comparison(lib: Library, db_path: Path, repeats: int):
    results = []
    for key in ("overall", DIMENSION_KEYS[8]):
        ours = _median(lambda k=key: queries.query_ids(lib._db, GalleryQuery(sort_key=k)), repeats)
        run, conn = _join_sort(db_path, key)
        try:
            joined = _median(run, repeats)
        finally:
            conn.close()
        results.append(
            (
                f"sort {key}: join on assessments",
                _ms(joined),
                f"the SQL path's copy on the image row is {joined / ours:.1f}x faster",
            )
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="HumanAes library benchmarks")
    parser.add_argument("--files", type=int, default=100_000, help="files in the scanned tree")
    parser.add_argument("--burst", type=int, default=5_000, help="files in the watcher burst")
    parser.add_argument("--images", type=int, default=100_000, help="images in the query library")
    parser.add_argument("--trigger-files", type=int, default=20_000,
                        help="files of the cold scans with and without the change log (0: skip)")  # fmt: skip
    parser.add_argument("--db", type=Path, help="query library to reuse (built there if missing)")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"), help="where to generate files")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="humanaes-bench-library-", dir=args.tmp))
    rows: list[tuple[str, str, str]] = []
    started_load = os.getloadavg()
    try:
        if not args.skip_queries:
            rows += bench_queries(work, args.images, args.repeats, args.db)
        if not args.skip_scan:
            if args.trigger_files:
                rows += bench_triggers(work, args.trigger_files)
            rows += bench_scan_and_watch(work, args.files, args.burst)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nlibrary benchmarks ({os.cpu_count()} CPUs, load average {load} at the end, "
          f"{started_load[0]:.1f} at the start)\n")  # fmt: skip
    print(f"| {'measurement':<52} | {'time':>11} | notes")
    print(f"|{'-' * 54}|{'-' * 13}|------")
    for name, value, note in rows:
        print(f"| {name:<52} | {value:>11} | {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
