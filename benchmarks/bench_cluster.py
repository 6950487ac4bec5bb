"""The same photos through `humanaes watch --once` and through the local Ray pipeline.

Side by side in one run, on the same photo folder, model and profile: images/s end to end
(process-internal wall clock: scan or manifest, model loads, scoring, writing), images/s in the
steady state (between the first and the last stored result), Ray's fixed overhead (starting a
local Ray; the first row on disk after the pipeline started: actor start, model load, first
batch) and how throughput grows from 1 to 2 actors. The Ray runs start their own local Ray each
time (what `humanaes cluster score` does without --address), with 2 CPUs: one actor takes 1 CPU,
two take 0.75 each (the read and write stages keep 0.5).

    .venv/bin/python benchmarks/bench_cluster.py --photos 24 --max-tiles 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from humanaes_desktop.cli import main  # noqa: E402
from tests.support.photo_set import VARIANTS, make_photo_set  # noqa: E402


@dataclass
class Run:
    name: str
    photos: int
    wall_s: float
    steady: float  # photos/s between the first and the last result (summed over actors)
    notes: str = ""

    @property
    def per_s(self) -> float:
        return self.photos / self.wall_s


def steady_rate(times: list[float]) -> float:
    times = sorted(times)
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def run_watch(folder: Path, model: Path, tiles: int, work: Path) -> Run:
    import sqlite3

    db = work / "watch.sqlite3"
    start = time.perf_counter()
    code = main(["watch", str(folder), "--db", str(db), "--model", str(model), "--once",
                 "--max-tiles", str(tiles), "--device", "cpu"])  # fmt: skip
    wall = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"watch --once exited {code}")
    with sqlite3.connect(db) as conn:
        times = [r[0] for r in conn.execute("SELECT created_at FROM assessments")]
    return Run("watch --once", len(times), wall, steady_rate(times))


def make_manifest(folder: Path, model: Path, tiles: int, work: Path) -> Path:
    manifest = work / "manifest.jsonl"
    main(["cluster", "manifest", "--folder", str(folder), "--model", str(model),
          "--max-tiles", str(tiles), "--out", str(manifest)])  # fmt: skip
    return manifest


def run_ray(manifest: Path, model: Path, actors: int, work: Path, batch: int) -> Run:
    from humanaes_desktop.cluster.job import ScoreJob, run_score_job
    from humanaes_desktop.cluster.results import read_rows

    out = work / f"ray_{actors}"
    job = ScoreJob(manifest, model, out, actors=actors, batch_size=batch, local_cpus=2,
                   device="cpu", ray_temp_dir=str(work / f"r{actors}"))  # fmt: skip
    began = time.time()
    report = run_score_job(job)
    rows = [r for r in read_rows(out) if r["error"] is None]
    times = [r["scored_at"] for r in rows]
    pipeline_start = began + report.seconds["ray_start"]
    first_row = min(times) - pipeline_start
    by_actor: dict[str, list[float]] = {}
    for row in rows:
        by_actor.setdefault(row["actor"], []).append(row["scored_at"])
    # Actors start one after the other: the sum of each actor's own rate is what they do together.
    steady = sum(steady_rate(t) for t in by_actor.values() if len(t) > 1)
    notes = (
        f"ray start {report.seconds['ray_start']:.1f} s, first row {first_row:.1f} s later; "
        f"{len(by_actor)} actors, rows {sorted(len(t) for t in by_actor.values())}"
    )
    return Run(f"ray, {actors} actor{'s' if actors > 1 else ''}", len(rows),
               report.seconds["total"], steady, notes)  # fmt: skip


def machine() -> str:
    load = os.getloadavg()
    flags = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        flags_line = next((x for x in lscpu.splitlines() if x.startswith("Flags:")), "")
        wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
        flags = " ".join(f for f in wanted if f in flags_line.split())
    except OSError:
        pass
    return f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cpus {os.cpu_count()}; flags: {flags}"


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24, help="6 x variants (6..36)")
    parser.add_argument("--max-tiles", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--model", type=Path, help="model folder (default: a tiny synthetic one)")
    args = parser.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a process-private local Ray
    with tempfile.TemporaryDirectory(prefix="hae-bench-cluster-") as tmp:
        work = Path(tmp)
        os.environ["HUMANAES_DATA_DIR"] = str(work / "data")
        variants = VARIANTS[: max(1, min(len(VARIANTS), args.photos // 6))]
        folder = make_photo_set(work / "photos", variants).folder
        for extra in ("corrupt.jpg", "empty.jpg"):  # good photos only: the same work for all
            (folder / extra).unlink()
        (folder / "copies").rename(work / "copies")
        model = args.model
        if model is None:
            from humanaes_desktop.engine.synthetic import build_synthetic_model

            model = build_synthetic_model(work / "tiny", preset="tiny", seed=0)
        print(f"before: {machine()}")
        runs = [run_watch(folder, model, args.max_tiles, work)]
        manifest = make_manifest(folder, model, args.max_tiles, work)
        runs.append(run_ray(manifest, model, 1, work, args.batch_size))
        runs.append(run_ray(manifest, model, 2, work, args.batch_size))
        print(f"after: {machine()}")
    print(f"\n{'path':<16} {'photos':>6} {'wall s':>7} {'photos/s':>9} {'steady/s':>9}  notes")
    for run in runs:
        print(f"{run.name:<16} {run.photos:>6} {run.wall_s:>7.1f} {run.per_s:>9.2f} "
              f"{run.steady:>9.2f}  {run.notes}")  # fmt: skip
    watch, one, two = runs
    print(f"\nray 1 actor / watch, end to end: {one.per_s / watch.per_s:.2f}x; "
          f"steady: {one.steady / watch.steady:.2f}x")  # fmt: skip
    print(f"ray 2 actors / 1 actor, end to end: {two.per_s / one.per_s:.2f}x; "
          f"steady: {two.steady / one.steady:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main_bench()
