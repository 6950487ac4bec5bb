"""Full assessment vs the reference code's calls, side by side in one run (docs/DESIGN.md §4).

For a 1-tile image and a multi-tile image (896x448 -> 2 tiles + thumbnail = 3), times
  (a) the reference code's fast `score()` alone,
  (b) the reference code's call sequence for everything: score + run_metavoter + expert_score, each plain,
  (c) `HumanAesExpert.assess()` (the same results, with vision and language-model reuse),
and prints c/a (target <= 1.2), c/b and the reuse counters. The model is the synthetic one
(`--preset full` = the InternVL2-1B shapes, built once and cached under the user cache dir).

    .venv/bin/python benchmarks/bench_assess.py                 # full preset, CPU, fp32 (minutes)
    .venv/bin/python benchmarks/bench_assess.py --preset tiny   # quick smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.support.photos import sample_photo  # noqa: E402

PHOTO = sample_photo("astronaut.png")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("tiny", "full"), default="full")
    parser.add_argument("--model", type=Path, help="use this model folder instead of building one")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, help="timed runs per case (median reported)")
    return parser.parse_args()


def model_folder(args: argparse.Namespace) -> Path:
    """The benchmark model: given, or the cached synthetic build of the preset."""
    if args.model:
        return args.model
    from humanaes_desktop.paths import cache_dir

    folder = cache_dir() / "bench-models" / f"synthetic-{args.preset}-seed0"
    if folder.exists() and not _still_valid(folder):
        print(f"cached {folder.name} was built by another version of the code; rebuilding")
        shutil.rmtree(folder)
    if not folder.exists():
        print(f"building the synthetic {args.preset} model at {folder} …", flush=True)
        start = time.perf_counter()
        # In a child process, so the peak memory reported below is the inference's alone.
        command = [sys.executable, "-m", "humanaes_desktop", "model", "synth"]
        command += ["--preset", args.preset, "--out", str(folder)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)
    return folder


def _still_valid(folder: Path) -> bool:
    from humanaes_desktop.engine.store.manifest import verify_model_folder
    from humanaes_desktop.errors import UserError

    try:
        verify_model_folder(folder)
    except UserError:
        return False
    return True


def test_images():
    """(name, tiles tensor) for the 1-tile and the 3-tile case, from a real photo."""
    from PIL import Image

    from humanaes_desktop.engine.preprocess import pixel_values

    with Image.open(PHOTO) as image:
        rgb = image.convert("RGB")
    square = pixel_values(rgb.resize((448, 448)), max_tiles=12)
    wide = pixel_values(rgb.resize((896, 448)), max_tiles=12)
    return [("1 tile (448x448)", square), ("3 tiles (896x448)", wide)]


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_case(engine, name: str, tiles, repeats: int) -> dict:
    from humanaes_desktop.engine.assessment import PreprocessProfile

    profile = PreprocessProfile()
    a, fast = timed(lambda: engine.reference_score(tiles), repeats)
    b, seed = timed(lambda: engine.reference_full_sequence(tiles), repeats)
    c, assessment = timed(lambda: engine.assess(tiles, profile=profile), repeats)
    stats = engine.reuse_stats.as_dict()
    # Inside one assess() the first call (score) does exactly the work of (a); the rest is what
    # the full assessment adds. This ratio is far less sensitive to a loaded machine than c/a.
    inner = assessment.timings["total"] / assessment.timings["score"]
    diff = max(
        abs(assessment.overall - seed.overall),
        abs(assessment.fast_score - seed.fast_score),
        *(abs(assessment.dimensions[k] - seed.dimensions[k]) for k in seed.dimensions),
    )
    row = {
        "case": name,
        "tiles": int(tiles.shape[0]),
        "a_score_s": a,
        "b_seed_sequence_s": b,
        "c_assess_s": c,
        "c_over_a": c / a,
        "c_over_b": c / b,
        "b_over_a": b / a,
        "c_over_its_own_score_call": inner,
        "max_abs_diff_vs_seed": diff,
        "reuse": {k: stats[k] for k in stats if not k.endswith("_s")},
        "assess_timings": {k: round(v, 3) for k, v in assessment.timings.items()},
    }
    print(
        f"{name:<20} a={a:7.2f}s  b={b:7.2f}s  c={c:7.2f}s   c/a={c / a:5.2f}  "
        f"c/b={c / b:5.2f}  b/a={b / a:5.2f}  c/(c's score call)={inner:5.2f}  "
        f"max|c-b|={diff:.2e}",
        flush=True,
    )
    print(f"{'':<20} reuse: {row['reuse']}", flush=True)
    return row


def main() -> int:
    args = parse_args()
    import torch

    from humanaes_desktop.engine.model.adapter import HumanAesExpert

    repeats = args.repeats or (1 if args.preset == "full" else 5)
    folder = model_folder(args)
    start = time.perf_counter()
    engine = HumanAesExpert.load(folder, device=args.device, dtype=args.dtype, threads=args.threads)
    load_s = time.perf_counter() - start
    print(
        f"model {engine.label} on {engine.device}/{engine.dtype}, load {load_s:.1f} s, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, {platform.machine()}",
        flush=True,
    )
    cases = test_images()
    # Warm-up: first-call overheads, and the one-time self-check of prefix reuse.
    from humanaes_desktop.engine.assessment import PreprocessProfile

    engine.assess(cases[0][1], profile=PreprocessProfile())
    rows = [bench_case(engine, name, tiles, repeats) for name, tiles in cases]
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    summary = {
        "preset": args.preset,
        "device": engine.device,
        "dtype": engine.dtype,
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "peak_rss_gib": round(peak_gib, 2),
        "cases": rows,
    }
    print(f"peak RSS {peak_gib:.2f} GiB; target c/a <= 1.2")
    print("JSON " + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
