"""Worker overhead: images/s through the ScoringWorker vs. load_pixels + assess in a plain loop.

Same files, same loaded tiny synthetic model, same profile, measured side by side in one run
(interleaved rounds). The worker adds a real SQLite library (claim, store, events) and overlaps
decoding with inference on its 2-thread pool; `--prefetch 0` style runs show how much of the
result is that overlap. Model loading and the library scan are not timed.

    .venv/bin/python benchmarks/bench_worker.py --images 30 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from PIL import Image  # noqa: E402

from humanaes_desktop.engine.assessment import PreprocessProfile  # noqa: E402
from humanaes_desktop.engine.images.loading import load_pixels  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.pipeline.events import ProgressChanged, WorkerState  # noqa: E402
from humanaes_desktop.pipeline.worker import ScoringWorker  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.photos import PHOTOS_DIR as PHOTOS  # noqa: E402

SOURCES = ("astronaut.png", "chelsea.png", "coffee.png", "grace_hopper.jpg", "rocket.jpg")


def make_images(folder: Path, count: int, long_side: int) -> list[Path]:
    """`count` distinct JPEGs of about `long_side` px (upscaled photos: real decode work)."""
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        with Image.open(PHOTOS / SOURCES[i % len(SOURCES)]) as image:
            image = image.convert("RGB")
            scale = (long_side + 8 * i) / max(image.size)
            size = (round(image.width * scale), round(image.height * scale))
            path = folder / f"img_{i:03d}.jpg"
            image.resize(size, Image.Resampling.BICUBIC).save(path, quality=92)
        paths.append(path)
    return paths


def plain_loop(engine, paths: list[Path], profile: PreprocessProfile):
    """(total seconds, seconds in assess) for decode + assess of every file, one after another."""
    assess_s = 0.0
    start = time.perf_counter()
    for path in paths:
        pixels = load_pixels(path, profile)
        began = time.perf_counter()
        engine.assess(pixels, profile=profile)
        assess_s += time.perf_counter() - began
    return time.perf_counter() - start, assess_s


def through_worker(engine, folder: Path, db: Path, profile, prefetch: int):
    """(seconds until the queue is empty, WorkerStats) for a fresh library of `folder`."""
    lib = Library.open(db)
    lib.add_folder(folder)
    lib.scan_all()
    finished = threading.Event()

    def listener(event) -> None:
        if isinstance(event, ProgressChanged) and event.state == WorkerState.IDLE:
            if event.remaining == 0:
                finished.set()

    worker = ScoringWorker(lib, lambda: engine, profile, listener, prefetch=prefetch)
    start = time.perf_counter()
    worker.start()
    finished.wait()
    elapsed = time.perf_counter() - start
    worker.stop()
    counts = lib.queue_counts()
    lib.close()
    assert counts.scored == len(list(folder.iterdir())), counts
    return elapsed, worker.stats()


class InstantEngine:
    """Answers at once with a fixed (synthetic) result: isolates the worker's own cost per image."""

    def __init__(self, real) -> None:
        self.identity, self.device, self.dtype = real.identity, real.device, real.dtype
        self._answer = None

    def assess(self, pixels, *, annotate=False, profile):
        return self._answer

    def prime(self, engine, paths, profile) -> None:
        self._answer = engine.assess(load_pixels(paths[0], profile), profile=profile)


def pipeline_overhead_ms(engine, folder: Path, db: Path, profile, count: int) -> float:
    """Milliseconds per image the worker spends outside decode and the model (claim, store,
    events), measured with an instant engine and no decoding."""
    lib = Library.open(db)
    lib.add_folder(folder)
    lib.scan_all()
    finished = threading.Event()

    def listener(event) -> None:
        if isinstance(event, ProgressChanged) and event.state == WorkerState.IDLE:
            if event.remaining == 0:
                finished.set()

    worker = ScoringWorker(
        lib, lambda: engine, profile, listener, pixel_loader=lambda path, profile: None
    )
    start = time.perf_counter()
    worker.start()
    finished.wait()
    elapsed = time.perf_counter() - start
    worker.stop()
    lib.close()
    return elapsed / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--long-side", type=int, default=1600, help="image size in px")
    parser.add_argument("--max-tiles", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the model")
    args = parser.parse_args()

    import torch

    from humanaes_desktop.engine.model.adapter import HumanAesExpert
    from humanaes_desktop.engine.synthetic import build_synthetic_model

    torch.set_num_threads(args.threads)
    profile = PreprocessProfile(max_tiles=args.max_tiles)
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        root = Path(tmp)
        os.environ["HUMANAES_DATA_DIR"] = str(root / "data")
        model_dir = build_synthetic_model(root / "tiny", preset="tiny", seed=0)
        engine = HumanAesExpert.load(model_dir, device="cpu", dtype="fp32")
        paths = make_images(root / "photos", args.images, args.long_side)
        plain_loop(engine, paths[:3], profile)  # warm-up: first-call costs are not overhead
        last_stats = None

        runs = {"plain": [], "prefetch=2": [], "prefetch=0": []}
        assess = {name: [] for name in runs}
        for r in range(args.rounds):
            order = list(runs)[r % 3 :] + list(runs)[: r % 3]  # rotate: load drifts over time
            for name in order:
                if name == "plain":
                    total, assess_s = plain_loop(engine, paths, profile)
                else:
                    depth = int(name.split("=")[1])
                    db = root / f"{depth}-{r}.db"
                    total, stats = through_worker(engine, root / "photos", db, profile, depth)
                    assess_s = stats.assess_s
                    if depth:
                        last_stats = stats
                runs[name].append(total)
                assess[name].append(assess_s)
        report(args, len(paths), runs, assess, last_stats)
        instant = InstantEngine(engine)
        instant.prime(engine, paths, profile)
        overhead = pipeline_overhead_ms(
            instant, root / "photos", root / "overhead.db", profile, len(paths)
        )
        print(
            f"worker's own cost (claim + store + events, instant engine): {overhead:.1f} ms/image"
        )


def report(args, n: int, runs: dict, assess: dict, stats) -> None:
    print(
        f"{n} images, ~{args.long_side}px JPEG, max_tiles={args.max_tiles}, tiny synthetic "
        f"model (SYNTHETIC), torch threads={args.threads}, {args.rounds} rounds, medians"
    )
    rates = {name: n / statistics.median(times) for name, times in runs.items()}
    for name, rate in rates.items():
        per_image = statistics.median(assess[name]) / n
        print(f"{name:>11}: {rate:6.2f} images/s   (assess alone {per_image * 1000:6.0f} ms/image)")
    for name in ("prefetch=2", "prefetch=0"):
        print(f"ratio worker({name})/plain: {rates[name] / rates['plain']:.2f}")
    print(
        f"last prefetch=2 run: decode {stats.decode_s:.2f}s on the pool, model waited "
        f"{stats.decode_wait_s:.2f}s for it, assess {stats.assess_s:.2f}s"
    )


if __name__ == "__main__":
    main()
