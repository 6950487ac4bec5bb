"""Quick vs full profile on a camera-size photo, side by side in one run.

A 4032 x 3024 JPEG (a 12-megapixel phone photo, made from a sample photo) is scored with
  quick: the whole photo as one 448-px tile (`--profile quick`),
  full:  the reference code's tiling at max 12 tiles: 12 tiles + a thumbnail = 13,
alternately, after one warm-up assessment (a quick one: it takes the one-time costs of a
process, the kernels' first calls and the engine's self-checks). It prints the median time of each (decode included, as
the worker pays it), the ratio full/quick, and what that ratio means for a shoot: how long until
every photo shows a score with "quick first" compared with "full only" (arithmetic on the two
measured medians, not a separate measurement). The model is the synthetic one (`--preset full` =
the InternVL2-1B shapes, built once and cached, see bench_assess.py); its scores mean nothing.

    .venv/bin/python benchmarks/bench_profiles.py                 # full preset, CPU (many minutes)
    .venv/bin/python benchmarks/bench_profiles.py --preset tiny   # smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.bench_assess import model_folder  # noqa: E402
from tests.support.photos import sample_photo  # noqa: E402

RELEVANT_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def cpu_flags() -> str:
    """The CPU's flags that decide its matrix speed (Linux; "unknown" elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    present = set(line.split(":", 1)[-1].split())
    return " ".join(f for f in RELEVANT_FLAGS if f in present) or "none of " + ", ".join(
        RELEVANT_FLAGS
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("tiny", "full"), default="full")
    parser.add_argument("--model", type=Path, help="use this model folder instead of building one")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per profile")
    parser.add_argument("--shoot", type=int, default=1000, help="photos in the projected shoot")
    return parser.parse_args()


def camera_photo(folder: Path) -> Path:
    from PIL import Image

    path = folder / "camera_4032x3024.jpg"
    with Image.open(sample_photo("chelsea.png")) as image:
        image.convert("RGB").resize((4032, 3024)).save(path, quality=90)
    return path


def time_once(engine, photo: Path, profile) -> tuple[float, int]:
    """Seconds for decode + assessment of one photo, and the tiles fed."""
    from humanaes_desktop.engine.images.loading import load_pixels

    start = time.perf_counter()
    assessment = engine.assess(load_pixels(photo, profile), profile=profile)
    return time.perf_counter() - start, assessment.tiles


def main() -> int:
    args = parse_args()
    from humanaes_desktop.engine.assessment import PreprocessProfile
    from humanaes_desktop.engine.model.adapter import HumanAesExpert
    from humanaes_desktop.engine.profiles import quick_profile

    full = PreprocessProfile(max_tiles=12)
    profiles = {"quick": quick_profile(full), "full": full}
    engine = HumanAesExpert.load(
        model_folder(args), device=args.device, dtype=args.dtype, threads=args.threads
    )
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"cpu flags: {cpu_flags()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"model: {engine.label} on {engine.device} ({engine.dtype})")
    times: dict[str, list[float]] = {name: [] for name in profiles}
    tiles: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        photo = camera_photo(Path(tmp))
        time_once(engine, photo, profiles["quick"])  # warm-up: first calls, self-checks
        for _ in range(args.repeats):
            for name, profile in profiles.items():  # alternated, so load drift hits both
                seconds, tiles[name] = time_once(engine, photo, profile)
                times[name].append(seconds)
    quick_s, full_s = (statistics.median(times[n]) for n in ("quick", "full"))
    for name in profiles:
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:>5}: {tiles[name]:2d} tiles  median {statistics.median(times[name]):8.2f} s"
              f"  (runs: {runs})")  # fmt: skip
    print(f"full / quick: {full_s / quick_s:.1f}x")
    shoot = args.shoot
    print(
        f"a shoot of {shoot} such photos: every photo shows a score after "
        f"{shoot * quick_s / 3600:.1f} h with quick first, {shoot * full_s / 3600:.1f} h with "
        f"full only; all full scores after {shoot * (quick_s + full_s) / 3600:.1f} h "
        "with quick first (projected from the medians above)"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
