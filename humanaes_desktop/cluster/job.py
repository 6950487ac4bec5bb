"""`humanaes cluster score`: the Ray Data pipeline. The only module of the package that imports Ray.

    manifest rows -> read_files (tasks: file bytes) -> Scorer (actor pool: model once per actor,
    decode, assess) -> Parquet files in OUT

Resume is ours, not Ray's (its checkpointing is beta): before the pipeline starts, the rows
already in OUT for this model and profile are read and their photos left out, so a killed job
re-run with the same OUT scores only the photos still missing (the import keeps one result per
photo should OUT hold one twice). The same command runs unchanged under
`ray job submit` (RAY_ADDRESS is set there; `ray.init()` joins that cluster) or, without an
address, on a local Ray it starts itself.

Traps avoided (see docs/cluster.md): actors asking for every CPU starve the read and write
tasks and the job hangs (ray#44687), so on a local Ray the actors' CPUs are fitted below the
total and the small stages ask for a quarter CPU each; decoded images never enter the object
store; every per-photo failure is a row, so Ray's zero-retry defaults never fail the job.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import ray
import ray.data
from ray.exceptions import RayError

from humanaes_desktop.cluster.manifest import ManifestEntry, ManifestHeader, read_manifest
from humanaes_desktop.cluster.results import RESULT_SCHEMA, done_fingerprints, iter_tables
from humanaes_desktop.cluster.scorer import Scorer, ScorerOptions, read_files
from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

SMALL_STAGE_CPUS = 0.25  # reading bytes and writing Parquet: I/O, not compute
DEFAULT_ROWS_PER_FILE = 256


class ClusterJobError(UserError):
    """The job cannot start (resources, model, manifest) or Ray reported a failure."""


@dataclass(frozen=True)
class ScoreJob:
    """Everything `cluster score` was asked to do."""

    manifest: Path
    model_dir: Path
    out: Path
    actors: int = 1
    gpus_per_actor: float = 0.0
    cpus_per_actor: float | None = None  # None: 1, fitted below the total on a local Ray
    batch_size: int = 8
    address: str | None = None  # None: RAY_ADDRESS, else a local Ray
    local_cpus: int | None = None  # CPUs of a local Ray (default: all)
    device: str = "auto"
    dtype: str = "auto"
    trust_model_folder: bool = False
    annotate: bool = False
    vision_batch_tiles: int | None = None
    rows_per_file: int = DEFAULT_ROWS_PER_FILE
    ray_temp_dir: str | None = None  # a local Ray's session folder (tests keep it short)


@dataclass
class JobReport:
    """What one run did."""

    run_id: str
    in_manifest: int
    already_done: int
    submitted: int = 0
    scored: int = 0
    errors: int = 0
    error_reasons: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [
            f"{self.in_manifest} photos in the manifest",
            f"{self.already_done} already in the output",
            f"{self.scored} scored",
            f"{self.errors} errors",
        ]
        rate = self.scored / self.seconds["pipeline"] if self.seconds.get("pipeline") else 0
        timing = f" in {self.seconds.get('total', 0):.1f} s" + (
            f" ({rate:.2f} photos/s)" if rate else ""
        )
        return ", ".join(parts) + timing


def run_score_job(job: ScoreJob) -> JobReport:
    """Score every manifest photo not yet in `job.out`; returns what this run did."""
    start = time.perf_counter()
    header, entries = read_manifest(job.manifest)
    _check_model_on_driver(job, header)
    done = done_fingerprints(job.out, header.model.key, header.profile.key)
    pending = [e for e in entries if e.fingerprint not in done]
    report = JobReport(_run_id(), len(entries), len(entries) - len(pending), len(pending))
    if pending:
        _create_out(job.out)
        started_here = _connect(job)
        try:
            report.seconds["ray_start"] = time.perf_counter() - start
            _pipeline(job, header, pending, report.run_id)
            report.seconds["pipeline"] = time.perf_counter() - start - report.seconds["ray_start"]
        finally:
            if started_here:
                ray.shutdown()
        _count_run(job.out, report)
    report.seconds["total"] = time.perf_counter() - start
    return report


def _run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


def _create_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClusterJobError(
            f"cannot create the output folder {out}: {exc.strerror or exc}"
        ) from exc


def _check_model_on_driver(job: ScoreJob, header: ManifestHeader) -> None:
    """Fail before Ray starts when the model folder is not the manifest's model.

    On a cluster the driver may not see the model folder (it can live on the GPU nodes only);
    each actor then checks it when it loads the model.
    """
    if not job.model_dir.exists():
        log.warning("%s is not on this machine; each actor verifies it on its node", job.model_dir)
        return
    from humanaes_desktop.engine.store.manifest import verify_model_folder

    identity = verify_model_folder(job.model_dir, trust_unknown=job.trust_model_folder).identity
    _check_identity(identity.key, header)


def _check_identity(model_key: str, header: ManifestHeader) -> None:
    if model_key != header.model.key:
        raise ClusterJobError(
            f"the manifest lists photos that lack scores by {header.model.key}, but the model "
            f"folder is {model_key}; pass that model's folder, or make the manifest again with "
            "--model set to this one"
        )


def _connect(job: ScoreJob) -> bool:
    """Join the given cluster, RAY_ADDRESS's, or start a local Ray; True if started here."""
    address = job.address or os.environ.get("RAY_ADDRESS")
    if ray.is_initialized():
        return False
    if address and address != "local":
        ray.init(address=address, log_to_driver=True)
        return False
    ray.init(
        address="local",
        num_cpus=job.local_cpus or os.cpu_count() or 1,
        include_dashboard=False,
        _temp_dir=job.ray_temp_dir,
    )
    return True


def actor_cpus(job: ScoreJob, total_cpus: float, local: bool) -> float:
    """CPUs each actor asks for: given, or 1, fitted so reading and writing can still run.

    On a Ray whose CPUs are all held by actors the read tasks never start and the job hangs
    without an error (ray#44687); on a local Ray (whose size is known) that is refused here.
    """
    reserve = 2 * SMALL_STAGE_CPUS
    if job.cpus_per_actor is not None:
        wanted = job.cpus_per_actor
        if not local and job.actors * wanted > total_cpus - reserve:
            log.warning(
                "%d actors x %g CPUs leave no CPU for reading files on this %g-CPU cluster: the "
                "job hangs unless an autoscaler adds nodes (ray#44687)",
                job.actors,
                wanted,
                total_cpus,
            )
        elif local and job.actors * wanted > total_cpus - reserve:
            raise ClusterJobError(
                f"{job.actors} actors x {wanted} CPUs leave no CPU for reading files on this "
                f"{total_cpus:g}-CPU Ray, and the job would hang (ray#44687); use "
                f"--cpus-per-actor {math.floor((total_cpus - reserve) / job.actors * 100) / 100:g}"
                " or fewer --actors"
            )
        return wanted
    if not local:
        return actor_cpus(replace(job, cpus_per_actor=1.0), total_cpus, local)
    fitted = min(1.0, (total_cpus - reserve) / job.actors)
    if fitted <= 0.05:
        raise ClusterJobError(
            f"{job.actors} actors do not fit on this {total_cpus:g}-CPU Ray; use fewer --actors"
        )
    return math.floor(fitted * 100) / 100


def _check_gpus(job: ScoreJob, total_gpus: float, local: bool) -> None:
    needed = job.actors * job.gpus_per_actor
    if needed <= total_gpus:
        return
    message = (
        f"{job.actors} actors x {job.gpus_per_actor:g} GPUs need {needed:g} GPUs; this Ray has "
        f"{total_gpus:g}"
    )
    if local:
        raise ClusterJobError(message + "; use fewer --actors or --gpus-per-actor 0 (CPU)")
    log.warning("%s: the job waits until an autoscaler adds GPU nodes", message)


def _pipeline(job: ScoreJob, header: ManifestHeader, pending: list[ManifestEntry], run_id: str):
    resources = ray.cluster_resources()
    local = not (job.address or os.environ.get("RAY_ADDRESS")) or job.address == "local"
    cpus = actor_cpus(job, float(resources.get("CPU", 0)), local)
    _check_gpus(job, float(resources.get("GPU", 0)), local)
    options = ScorerOptions(
        model_dir=str(job.model_dir),
        profile=asdict(header.profile),
        run_id=run_id,
        expected_model_key=header.model.key,
        device=job.device,
        dtype=job.dtype,
        trust_model_folder=job.trust_model_folder,
        threads=max(1, int(cpus)),
        annotate=job.annotate,
        vision_batch_tiles=job.vision_batch_tiles,
    )
    rows = [asdict(entry) for entry in pending]
    blocks = max(1, min(len(rows), math.ceil(len(rows) / job.batch_size)))
    dataset = ray.data.from_items(rows, override_num_blocks=blocks)
    dataset = dataset.map_batches(
        read_files, batch_size=job.batch_size, batch_format="numpy", num_cpus=SMALL_STAGE_CPUS
    )
    dataset = dataset.map_batches(
        Scorer,
        fn_constructor_args=(options,),
        batch_size=job.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=job.actors),
        num_cpus=cpus,
        num_gpus=job.gpus_per_actor or None,
    )
    log.info(
        "scoring %d photos with %d actors (%g CPU, %g GPU each)",
        len(rows),
        job.actors,
        cpus,
        job.gpus_per_actor,
    )
    try:
        dataset.write_parquet(
            str(job.out),
            min_rows_per_file=job.rows_per_file,
            schema=RESULT_SCHEMA,
            ray_remote_args={"num_cpus": SMALL_STAGE_CPUS},
        )
    except RayError as exc:
        raise ClusterJobError(f"the Ray job failed: {_root_cause(exc)}") from exc


def _root_cause(exc: BaseException) -> str:
    cause = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    return f"{type(cause).__name__}: {cause}".splitlines()[0]


def _count_run(out: Path, report: JobReport) -> None:
    """How many rows (and errors) this run wrote, read back from the output files."""
    for table in iter_tables(out, ["run_id", "error", "reason"]):
        for run, error, reason in zip(
            *(table.column(c).to_pylist() for c in ("run_id", "error", "reason")), strict=True
        ):
            if run != report.run_id:
                continue
            if error is None:
                report.scored += 1
            else:
                report.errors += 1
                if len(report.error_reasons) < 20:
                    report.error_reasons.append(reason)
