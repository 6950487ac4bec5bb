"""Assessment cost against the reference code and the machine's limit (docs/DESIGN.md §4).

Cases (`--cases`, each in a fresh child process per dtype, so its peak RSS is its own):
  1   a 448x448 image  -> 1 tile
  3   a 896x448 image  -> 2 tiles + thumbnail
  13  a 4032x3024 JPEG (12 MP camera size) -> 12 tiles + thumbnail
For every case: the first assessment of the process (it pays the one-time self-checks, with a
fresh verdict store, and the kernels' warm-up) and the steady state (median of `--repeats`),
the stage split (vision, language model, heads), the FLOPs the work needs (from the model's
config: one vision pass per tile, one language-model pass over the tokens reuse computes), the
GEMM rate measured in the same process at the model's shapes for fp32 and bf16, the ratio
steady time / physical limit (FLOPs at the fastest dtype's rates), the CPU's flags and the peak
RSS against the budget (weights in the dtype + 1.5 GiB). The 1- and 3-tile cases also time
(a) the reference code's `score()` alone and (b) its whole call sequence, interleaved with (c)
`assess()`: c/a <= 1.05 is the reuse target. The camera case also runs in a second process
that finds the first one's verdicts on disk (what a later `humanaes score` pays). With two
dtypes, the agreement of their results (max |diff| over overall + 12 dimensions) is printed.

    .venv/bin/python benchmarks/bench_assess.py                       # full synthetic model
    .venv/bin/python benchmarks/bench_assess.py --cases 13 --dtypes bf16
    .venv/bin/python benchmarks/bench_assess.py --preset tiny         # smoke run (ratios mean nothing)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from assess_cost import (  # noqa: E402
    Shapes,
    attention_rates_at,
    gemm_rates_at,
    machine_line,
    peak_rss_bytes,
)

from tests.support.photos import sample_photo  # noqa: E402

PHOTO = sample_photo("astronaut.png")
CASES = {"1": "1 tile (448x448)", "3": "3 tiles (896x448)", "13": "camera 4032x3024 (13 tiles)"}
WITH_REFERENCE = ("1", "3")
GIB = 2**30
BUDGET_ABOVE_WEIGHTS = 1.5 * GIB


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("tiny", "full"), default="full")
    parser.add_argument("--model", type=Path, help="use this model folder instead of building one")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtypes", default="fp32,bf16", help="comma-separated; auto allowed")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: 1,3,13")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=1, help="steady-state runs per case")
    parser.add_argument("--attention", choices=("sdpa", "eager"), default="sdpa")
    parser.add_argument("--no-reference", action="store_true", help="skip (a) and (b)")
    parser.add_argument("--no-later-process", action="store_true")
    parser.add_argument("--gemm-budget", type=float, default=4.0, help="seconds per GEMM set")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="cold", help=argparse.SUPPRESS)
    parser.add_argument("--photo", type=Path, help=argparse.SUPPRESS)
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


def camera_jpeg(folder: Path) -> Path:
    """A 4032x3024 photo-like JPEG (the sample photo upscaled, with grain), made once per run."""
    from bench_preprocess import make_large_jpeg

    return make_large_jpeg(folder, (4032, 3024))


def case_tiles(case: str, photo: Path | None = None):
    """The tiles of one case, from a real photo (the camera case decoded from its JPEG file)."""
    from PIL import Image

    from humanaes_desktop.engine.assessment import PreprocessProfile
    from humanaes_desktop.engine.images.loading import load_pixels
    from humanaes_desktop.engine.preprocess import pixel_values

    if case == "13":
        if photo is None:
            with tempfile.TemporaryDirectory() as folder:
                return load_pixels(camera_jpeg(Path(folder)), PreprocessProfile())
        return load_pixels(photo, PreprocessProfile())
    size = {"1": (448, 448), "3": (896, 448)}[case]
    with Image.open(PHOTO) as image:
        return pixel_values(image.convert("RGB").resize(size), max_tiles=12)


# -- the child: one case, one dtype, one fresh process ------------------------------------------
def run_child(args: argparse.Namespace) -> int:
    import torch

    from humanaes_desktop.engine.assessment import PreprocessProfile
    from humanaes_desktop.engine.model.adapter import HumanAesExpert

    start = time.perf_counter()
    engine = HumanAesExpert.load(
        args.model, device=args.device, dtype=args.dtype, threads=args.threads,
        attention=args.attention == "sdpa",
    )  # fmt: skip
    load_s = time.perf_counter() - start
    tiles, profile = case_tiles(args.child, args.photo), PreprocessProfile()
    shapes = Shapes.of(args.model)
    first = engine.assess(tiles, profile=profile)
    row = {"case": args.child, "dtype": engine.dtype, "mode": args.mode, "load_s": load_s}
    row.update(tiles=int(tiles.shape[0]), threads=torch.get_num_threads())
    row.update(attention=first.attention, dtype_note=engine.dtype_note)
    row["first"] = _timings(first)
    row["first_stats"] = engine.reuse_stats.as_dict()
    if args.mode == "cold":
        steady = [engine.assess(tiles, profile=profile) for _ in range(args.repeats)]
        row["steady"] = _median_timings(steady)
        row["scores"] = _scores(steady[-1])
    row["peak_gib"] = _peak_gib()  # the case's own peak: before the reference calls and GEMMs
    if args.child in WITH_REFERENCE and not args.no_reference and args.mode == "cold":
        row["reference"] = _reference(engine, tiles, profile, args.repeats)
    tokens = engine.reuse_stats.tokens_computed
    row["gemm_gflops"] = gemm_rates_at(shapes, tokens, args.gemm_budget)
    row["flops"] = _flops(shapes, row["tiles"], tokens)
    # The suffixes prefix reuse adds are a few dozen positions: `tokens` stands for one pass.
    row["attention_flops"] = shapes.attention_flops(row["tiles"], tokens)
    row["attention_gflops"] = attention_rates_at(shapes, tokens, engine.dtype, args.gemm_budget)
    row["weights_gib"] = sum(p.numel() * p.element_size() for p in engine.model.parameters()) / GIB
    print("RESULT " + json.dumps(row), flush=True)
    return 0


def _timings(assessment) -> dict[str, float]:
    keep = ("total", "vision", "lm", "heads", "self_check")
    return {k: round(v, 3) for k, v in assessment.timings.items() if k in keep}


def _median_timings(assessments) -> dict[str, float]:
    names = set.intersection(*(set(_timings(a)) for a in assessments))
    return {n: statistics.median(_timings(a)[n] for a in assessments) for n in sorted(names)}


def _scores(assessment) -> dict[str, float]:
    return {"overall": assessment.overall, **assessment.dimensions}


def _peak_gib() -> float:
    return peak_rss_bytes() / GIB


def _reference(engine, tiles, profile, repeats: int) -> dict[str, float]:
    """(a), (b) and (c) interleaved round by round, medians."""
    a, b, c = [], [], []
    for _ in range(repeats):
        for times, run in (
            (a, lambda: engine.reference_score(tiles)),
            (c, lambda: engine.assess(tiles, profile=profile)),
            (b, lambda: engine.reference_full_sequence(tiles)),
        ):
            begin = time.perf_counter()
            run()
            times.append(time.perf_counter() - begin)
    a_s, b_s, c_s = (statistics.median(t) for t in (a, b, c))
    return {"a_s": a_s, "b_s": b_s, "c_s": c_s, "c_over_a": c_s / a_s, "c_over_b": c_s / b_s}


def _best_rates(measurements: list[dict]) -> dict[str, dict[str, float]]:
    best: dict[str, dict[str, float]] = {}
    for measured in measurements:
        for group, rates in measured.items():
            for dtype, rate in rates.items():
                best.setdefault(group, {})[dtype] = max(rate, best.get(group, {}).get(dtype, 0.0))
    return {g: {d: round(r, 1) for d, r in rates.items()} for g, rates in best.items()}


def _flops(shapes: Shapes, tiles: int, tokens: int) -> dict[str, float]:
    return {"vision": shapes.vision_flops(tiles), "language": shapes.language_flops(tokens)}


# -- the parent: spawn, collect, print ----------------------------------------------------------
def spawn(args, folder: Path, case: str, dtype: str, data: Path, mode: str) -> dict:
    """Run one case in a fresh process; its GEMM rates are the best of the parent's measurement
    just before and the child's just after (the peak RSS is measured before either)."""
    shapes = Shapes.of(folder)
    tokens = _tokens_guess(shapes, case)
    before = gemm_rates_at(shapes, tokens, args.gemm_budget)
    row = _spawn(args, folder, case, dtype, data, mode)
    row["gemm_gflops"] = _best_rates([before, row["gemm_gflops"]])
    return row


def _tokens_guess(shapes: Shapes, case: str) -> int:
    return {"1": 1, "3": 3, "13": 13}[case] * shapes.image_tokens + 80


def _spawn(args, folder: Path, case: str, dtype: str, data: Path, mode: str) -> dict:
    command = [sys.executable, __file__, "--child", case, "--dtype", dtype, "--mode", mode]
    command += ["--model", str(folder), "--device", args.device, "--repeats", str(args.repeats)]
    command += ["--attention", args.attention, "--gemm-budget", str(args.gemm_budget)]
    command += ["--photo", str(args.photo)] if args.photo else []
    command += ["--threads", str(args.threads)] if args.threads else []
    command += ["--no-reference"] if args.no_reference else []
    env = dict(os.environ, HUMANAES_DATA_DIR=str(data))
    env.pop("HUMANAES_CPU_DTYPE", None)
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"case {case}/{dtype}/{mode} failed:\n{done.stderr[-3000:]}")


def limits(row: dict) -> dict[str, float]:
    """Seconds the case's FLOPs need at the fastest measured rates, and at its own dtype's."""
    flops, rates = row["flops"], row["gemm_gflops"]
    fastest = sum(flops[g] / (max(rates[g].values()) * 1e9) for g in flops)
    own = sum(flops[g] / (rates[g].get(row["dtype"], 0.0) * 1e9 or float("inf")) for g in flops)
    return {"fastest": fastest, "own_dtype": own}


def report(row: dict) -> None:
    first, limit = row["first"], limits(row)
    budget = row["weights_gib"] + BUDGET_ABOVE_WEIGHTS / GIB
    rates = row["gemm_gflops"]
    rate_text = "  ".join(
        f"{g} " + "/".join(f"{d} {r:.0f}" for d, r in sorted(rates[g].items())) for g in rates
    )
    flops = sum(row["flops"].values())
    print(f"{CASES[row['case']]}  [{row['dtype']}, attention {row['attention']}]", flush=True)
    print(
        f"    GEMM GFLOP/s {rate_text};  work {flops / 1e12:.2f} TFLOP;  limit {limit['fastest']:.1f} s"
    )
    check = f", self-check {first['self_check']:.1f} s" if "self_check" in first else ""
    print(
        f"    first assessment {first['total']:.1f} s (vision {first['vision']:.1f}, LM {first['lm']:.1f}{check})"
    )
    if "steady" in row:
        steady = row["steady"]
        ratio = steady["total"] / limit["fastest"]
        print(
            f"    steady {steady['total']:.1f} s (vision {steady['vision']:.1f}, LM {steady['lm']:.1f}, "
            f"heads {steady['heads']:.2f})  ratio to limit {ratio:.2f} "
            f"(own dtype's limit {limit['own_dtype']:.1f} s: {steady['total'] / limit['own_dtype']:.2f})"
        )
        attention = attainable(row)
        if attention:
            print(
                f"    attention kernel GFLOP/s {attention['rates']}: counting the attention "
                f"products at that rate, the limit is {attention['limit']:.1f} s "
                f"(ratio {steady['total'] / attention['limit']:.2f})"
            )
    ref = row.get("reference")
    if ref:
        print(
            f"    (a) score() {ref['a_s']:.1f} s  (b) reference sequence {ref['b_s']:.1f} s  "
            f"(c) assess() {ref['c_s']:.1f} s   c/a {ref['c_over_a']:.2f}  c/b {ref['c_over_b']:.2f}"
        )
    print(
        f"    peak RSS {row['peak_gib']:.2f} GiB (budget {budget:.2f} = weights {row['weights_gib']:.2f} + 1.5)"
    )


def attainable(row: dict) -> dict | None:
    """The limit with the attention products at the attention kernel's measured rate and the
    rest at the GEMM rate of the case's own dtype (a diagnostic: where the gap to the limit is)."""
    rates, attention = row.get("attention_gflops"), row.get("attention_flops")
    if not rates or not attention:
        return None
    seconds = 0.0
    for group, total in row["flops"].items():
        gemm = row["gemm_gflops"][group][row["dtype"]] * 1e9
        seconds += (total - attention[group]) / gemm + attention[group] / (rates[group] * 1e9)
    text = " ".join(f"{g} {r:.0f}" for g, r in rates.items())
    return {"rates": f"{row['dtype']} {text}", "limit": seconds}


def agreement(rows: list[dict]) -> dict[str, float]:
    """Max |fp32 - bf16| over overall + 12 dimensions, per case run in both."""
    by_case: dict[str, dict[str, dict]] = {}
    for row in rows:
        if "scores" in row:
            by_case.setdefault(row["case"], {})[row["dtype"]] = row["scores"]
    out = {}
    for case, scores in by_case.items():
        if {"fp32", "bf16"} <= set(scores):
            out[case] = max(abs(scores["fp32"][k] - scores["bf16"][k]) for k in scores["fp32"])
    return out


def main() -> int:
    args = parse_args()
    if args.child:
        return run_child(args)
    import torch

    folder = model_folder(args)
    print(f"model {folder} ({args.preset}), torch {torch.__version__}, attention {args.attention}")
    print(f"machine: {machine_line()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-assess-") as scratch:
        # Made here, so the children's peaks hold decoding the photo, not generating it.
        args.photo = camera_jpeg(Path(scratch)) if "13" in args.cases.split(",") else None
        for dtype in args.dtypes.split(","):
            for case in args.cases.split(","):
                data = Path(scratch) / f"{dtype}-{case}"  # a fresh verdict store per case
                rows.append(spawn(args, folder, case, dtype, data, "cold"))
                report(rows[-1])
                if case == "13" and not args.no_later_process:
                    later = spawn(args, folder, case, dtype, data, "later")
                    rows.append(later)
                    print(
                        f"    later process (verdicts on disk): first assessment {later['first']['total']:.1f} s"
                    )
    for case, diff in agreement(rows).items():
        print(f"bf16 vs fp32, {CASES[case]}: max |diff| over overall + 12 dimensions {diff:.4f}")
    print(f"machine at the end: {machine_line()}")
    print(
        "JSON "
        + json.dumps(
            {
                "model": str(folder),
                "args": vars(args) | {"model": str(folder), "photo": None},
                "rows": rows,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
