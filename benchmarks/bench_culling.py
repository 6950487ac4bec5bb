"""Culling benchmarks: the first pass of a 12-MP JPEG, and grouping 100,000 photos.

First pass: 12-MP JPEGs (4032x3024) are generated from the sample photos (the two portraits,
three photos without people, a 16-face group), clean (q92) and with sensor-like noise (sigma 6:
the entropy of a real camera file, about twice the decode cost). Each is passed several times,
interleaved; the CPU time of the passing thread is what the budget counts (one core, decode
included), wall time is printed beside it. A full-resolution Pillow decode of the same files is
timed in the same rounds, for the ratio.

Grouping: synthetic shoots (benchmarks/synthetic_shoot.py) of 10k and 100k photos through
`group_shoot`, and one 100,000-photo folder in a real library: the first regroup (every row
written), a regroup with nothing new (nothing written), and one after 50 new photos.

    .venv/bin/python benchmarks/bench_culling.py [--repeats 5] [--skip-library]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic_shoot import synthetic_shoot  # noqa: E402
from humanaes_desktop.engine.culling.faces import HaarFaceBackend  # noqa: E402
from humanaes_desktop.engine.culling.grouping import group_shoot  # noqa: E402
from humanaes_desktop.engine.culling.signals import first_pass  # noqa: E402
from tests.support import shoot  # noqa: E402

BUDGET_MS = 100.0


def _make_photos(folder: Path) -> list[Path]:
    photos = []
    for noise, label in ((2.0, "clean"), (6.0, "noisy")):
        for name in (*shoot.PORTRAITS, *shoot.NO_FACE):
            pixels = shoot.to_full_size(shoot.source(name), noise=noise)
            photos.append(shoot.write_jpeg(folder / f"{label}_{name.split('.')[0]}.jpg", pixels))
        group = shoot.to_full_size(shoot.group_frame(), noise=noise)
        photos.append(shoot.write_jpeg(folder / f"{label}_group16.jpg", group))
    return photos


def _full_decode(path: Path) -> None:
    with Image.open(path) as image:
        image.load()


def bench_first_pass(repeats: int) -> None:
    import cv2

    cv2.setNumThreads(1)
    backend = HaarFaceBackend()
    with tempfile.TemporaryDirectory() as tmp:
        photos = _make_photos(Path(tmp))
        cpu = {p.name: [] for p in photos}
        wall = {p.name: [] for p in photos}
        full = {p.name: [] for p in photos}
        for _ in range(repeats):
            for path in photos:
                start_wall, start_cpu = time.perf_counter(), time.thread_time()
                first_pass(path, backend)
                cpu[path.name].append(1000 * (time.thread_time() - start_cpu))
                wall[path.name].append(1000 * (time.perf_counter() - start_wall))
                start_cpu = time.thread_time()
                _full_decode(path)
                full[path.name].append(1000 * (time.thread_time() - start_cpu))
    print(f"first pass of a 12-MP JPEG, {repeats} rounds, medians (ms; budget {BUDGET_MS:.0f})")
    print(f"{'photo':24s} {'cpu':>6s} {'wall':>6s} {'full decode cpu':>16s} {'ratio':>6s}")
    for name in cpu:
        c, w, f = (statistics.median(x[name]) for x in (cpu, wall, full))
        print(f"{name:24s} {c:6.1f} {w:6.1f} {f:16.1f} {c / f:6.2f}")
    every = [statistics.median(v) for v in cpu.values()]
    print(f"all photos: median {statistics.median(every):.1f} ms, worst {max(every):.1f} ms CPU")


def bench_grouping() -> None:
    for n in (10_000, 100_000):
        data = synthetic_shoot(n, seed=1)
        runs, cpu = [], []
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            grouping = group_shoot(data)
            runs.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        groups = grouping.members()
        in_groups = sum(len(m) for m in groups.values())
        print(
            f"group_shoot {n:>7,d} photos: {1000 * min(cpu):7.1f} ms CPU, "
            f"{1000 * min(runs):7.1f} ms wall (min of 3), "
            f"{len(groups):,d} groups holding {in_groups:,d} photos"
        )


def bench_library_regroup() -> None:
    from benchmarks.culling_library import add_photos, build_culling_library

    with tempfile.TemporaryDirectory() as tmp:
        library, folder_id = build_culling_library(Path(tmp) / "culling.sqlite3", 100_000)
        try:
            for label in ("first regroup (all rows written)", "regroup, nothing new"):
                start, start_cpu = time.perf_counter(), time.process_time()
                changed = library.regroup_folder(folder_id)
                print(
                    f"library, 100,000 photos, {label}: "
                    f"{1000 * (time.process_time() - start_cpu):.0f} ms CPU, "
                    f"{1000 * (time.perf_counter() - start):.0f} ms wall, {changed:,d} rows written"
                )
            since = add_photos(library, folder_id, 50)
            start, start_cpu = time.perf_counter(), time.process_time()
            changed = library.regroup_folder(folder_id, since=since)
            print(
                f"library, 100,000 photos, regroup after 50 new photos: "
                f"{1000 * (time.process_time() - start_cpu):.0f} ms CPU, "
                f"{1000 * (time.perf_counter() - start):.0f} ms wall, {changed:,d} rows written"
            )
        finally:
            library.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-library", action="store_true")
    parser.add_argument("--skip-first-pass", action="store_true")
    args = parser.parse_args()
    if not args.skip_first_pass:
        bench_first_pass(args.repeats)
    bench_grouping()
    if not args.skip_library:
        bench_library_regroup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
