"""Peak resident memory of the engine, one fresh process per case (DESIGN §4: at most the
weights in the chosen dtype + 1.5 GiB).

Cases, each in its own child process so every peak is that case's alone:
  load     load the model (verify + tokenizer + weights) and nothing else,
  score1   load + the reference code's fast `score()` on a 1-tile image,
  assess1  load + `assess()` on a 1-tile image,
  score7   load + the reference code's `score()` on a 7-tile image (1344x896: a 3x2 grid + thumbnail),
  assess7  load + `assess()` on that 7-tile image,
  assess13 load + `assess()` on a 4032x3024 JPEG (12 tiles + thumbnail).
Each case runs in each `--dtypes` and twice: with the engine's memory savings ("after":
streamed weight loading, deferred output head / no full logits kept, one tile per vision call
on CPU, SDPA attention) and with those switches off ("before"; close to, not the same as, the
first round's code, whose own numbers in benchmarks/README.md come from running this script on
that commit).
Peak RSS is the child's own VmHWM (/proc/self/status; ru_maxrss would include the parent's).
Memory does not depend on machine load; times do, so none are reported as results here.

    .venv/bin/python benchmarks/bench_memory.py                  # full synthetic model (minutes)
    .venv/bin/python benchmarks/bench_memory.py --preset tiny    # quick smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.support.photos import sample_photo  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from assess_cost import peak_rss_bytes  # noqa: E402  (VmHWM: ru_maxrss survives execve)

PHOTO = sample_photo("astronaut.png")
CASES = ("load", "score1", "assess1", "score7", "assess7", "assess13")
GIB = 2**30


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("tiny", "full"), default="full")
    parser.add_argument("--model", type=Path, help="use this model folder instead of building one")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset")
    parser.add_argument(
        "--variants", default="after,before", help="after (savings on), before (off) or both"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads in each child")
    parser.add_argument("--dtypes", default="fp32", help="comma-separated: fp32,bf16")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="after", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default="fp32", help=argparse.SUPPRESS)
    return parser.parse_args()


def image_tiles(tiles: int):
    """Tiles of the sample astronaut photo resized to give 1 or 7 tiles; 13: a camera JPEG."""
    from PIL import Image

    from humanaes_desktop.engine.preprocess import pixel_values

    if tiles == 13:
        from bench_assess import case_tiles

        return case_tiles("13")
    size = {1: (448, 448), 7: (1344, 896)}[tiles]
    with Image.open(PHOTO) as image:
        rgb = image.convert("RGB").resize(size)
    pixels = pixel_values(rgb, max_tiles=12)
    assert pixels.shape[0] == tiles, pixels.shape
    return pixels


def run_child(args: argparse.Namespace) -> int:
    """One case in this process; prints one JSON line with its peaks."""
    from humanaes_desktop.engine.assessment import PreprocessProfile
    from humanaes_desktop.engine.model.adapter import HumanAesExpert

    saving = args.variant == "after"
    engine = HumanAesExpert.load(
        args.model,
        device="cpu",
        dtype=args.dtype,
        threads=args.threads,
        stream_weights=saving,
        attention=saving,
    )
    engine.reuse_policy.keep_full_logits = not saving
    if not saving:
        engine.reuse_policy.cpu_tiles_per_vision_call = None
    after_load = peak_rss_bytes()
    case = args.child
    if case.startswith("score"):
        engine.reference_score(image_tiles(int(case[len("score") :])))
    elif case.startswith("assess"):
        engine.assess(image_tiles(int(case[len("assess") :])), profile=PreprocessProfile())
    weights = sum(p.numel() * p.element_size() for p in engine.model.parameters())
    result = {
        "case": case,
        "variant": args.variant,
        "dtype": engine.dtype,
        "budget_gib": round((weights + 1.5 * GIB) / GIB, 3),
        "peak_after_load_gib": round(after_load / GIB, 3),
        "peak_gib": round(peak_rss_bytes() / GIB, 3),
    }
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def spawn(args: argparse.Namespace, folder: Path, case: str, variant: str, dtype: str) -> dict:
    command = [sys.executable, __file__, "--child", case, "--variant", variant, "--dtype", dtype]
    command += ["--model", str(folder), "--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{case}/{variant} failed:\n{done.stderr[-3000:]}")


def main() -> int:
    args = parse_args()
    if args.child:
        return run_child(args)
    from bench_assess import model_folder  # the same cached synthetic build

    folder = model_folder(args)
    print(f"model {folder}, {args.threads} torch threads per child", flush=True)
    rows = []
    for dtype in args.dtypes.split(","):
        for case in args.cases.split(","):
            for variant in args.variants.split(","):
                row = spawn(args, folder, case, variant, dtype)
                rows.append(row)
                print(
                    f"{case:<8} {dtype:<5} {variant:<6} peak after load "
                    f"{row['peak_after_load_gib']:6.2f} GiB   peak {row['peak_gib']:6.2f} GiB   "
                    f"budget {row['budget_gib']:5.2f} GiB",
                    flush=True,
                )
    print("JSON " + json.dumps({"model": str(folder), "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
