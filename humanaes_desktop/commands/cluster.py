"""`humanaes cluster …`: score an archive on a Ray cluster (docs/cluster.md).

manifest   the photos that lack an assessment by a model + profile, as a JSON Lines file
score      a Ray Data job scoring a manifest into Parquet files (resumable; `ray job submit`)

`humanaes library import-results DIR` merges the Parquet files back into the library. Nothing
here imports Ray or pyarrow at module level: `humanaes --help` and the desktop app never load
them, and `cluster manifest` works without the extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from humanaes_desktop.commands.score import _max_tiles, _positive
from humanaes_desktop.errors import UserError
from humanaes_desktop.settings import DEVICES, DTYPES, AppSettings

EXTRA_HINT = "pip install 'humanaes-desktop[cluster]'"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `cluster` and its sub-commands to the CLI."""
    parser = subparsers.add_parser(
        "cluster", help="score an archive on a Ray cluster (manifest, score)"
    )
    sub = parser.add_subparsers(dest="cluster_command", metavar="ACTION")
    sub.required = True
    _register_manifest(sub)
    _register_score(sub)


def _register_manifest(sub) -> None:
    p = sub.add_parser(
        "manifest",
        help="list the photos that lack scores by a model + profile",
        description="Write the photos of the library (or of a folder) that have no assessment "
        "by MODEL with this profile yet: path, size and content fingerprint, one JSON line each.",
    )
    p.add_argument("--db", type=Path, metavar="FILE", help="library database file")
    p.add_argument("--folder", type=Path, metavar="F", help="list the image files below F instead")
    p.add_argument("--model", type=Path, metavar="DIR", help="model folder (default: the app's)")
    p.add_argument("--max-tiles", type=_max_tiles, metavar="N", help="448-px tiles (1-12)")
    p.add_argument("--fast-decode", action="store_true", help="the fast-decode profile")
    p.add_argument(
        "--path-map",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="where the cluster sees the photos, e.g. /home/me/Photos=/mnt/nas/photos (repeatable)",
    )
    p.add_argument("--trust-model-folder", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, metavar="MANIFEST", required=True)
    p.set_defaults(handler=run_manifest)


def _register_score(sub) -> None:
    p = sub.add_parser(
        "score",
        help="score a manifest with a Ray Data job (resumable)",
        description="Score every photo of MANIFEST not yet in OUT with a pool of Ray actors that "
        "each load the model once; write Parquet files to OUT. Run it again with the same OUT "
        "after a failure: what is there is skipped. Locally without --address; under "
        "`ray job submit` it joins that cluster.",
    )
    p.add_argument("manifest", type=Path, metavar="MANIFEST")
    p.add_argument(
        "--model", type=Path, metavar="DIR", required=True, help="model folder (on every node)"
    )
    p.add_argument("--out", type=Path, metavar="DIR", required=True, help="output folder (shared)")
    p.add_argument("--actors", type=_positive, default=1, metavar="N", help="model replicas")
    p.add_argument("--gpus-per-actor", type=_non_negative, default=0.0, metavar="G")
    p.add_argument(
        "--cpus-per-actor",
        type=_positive_float,
        metavar="C",
        help="default 1 (fitted on a local Ray)",
    )
    p.add_argument(
        "--batch-size", type=_positive, default=8, metavar="B", help="photos per actor call"
    )
    p.add_argument(
        "--address", metavar="A", help="Ray address (default: RAY_ADDRESS, else a local Ray)"
    )
    p.add_argument("--local-cpus", type=_positive, metavar="N", help="CPUs of a local Ray")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--dtype", choices=DTYPES, default="auto")
    p.add_argument(
        "--vision-batch-tiles",
        type=_non_negative_int,
        metavar="N",
        help="tiles of several photos per vision forward (default: 52 on CUDA, off on CPU; 0: off)",
    )
    p.add_argument("--annotate", action="store_true", help="also generate the annotation text")
    p.add_argument(
        "--rows-per-file", type=_positive, default=256, metavar="N", help=argparse.SUPPRESS
    )
    p.add_argument(
        "--trust-model-folder",
        action="store_true",
        help="accept a model folder whose files match no known release (runs its code)",
    )
    p.set_defaults(handler=run_score)


def _number(kind: type, *, above: float | None = None, at_least: float | None = None):
    """An argparse type: `kind(text)`, above or at least a bound (NaN refused)."""

    def parse(text: str):
        value = kind(text)
        if (above is not None and not value > above) or (
            at_least is not None and not value >= at_least
        ):
            bound = f"more than {above:g}" if above is not None else f"{at_least:g} or more"
            raise argparse.ArgumentTypeError(f"must be {bound}")
        return value

    return parse


_non_negative_int = _number(int, at_least=0)
_non_negative = _number(float, at_least=0)
_positive_float = _number(float, above=0)


def run_manifest(args: argparse.Namespace) -> int:
    """Write the manifest; print what it holds and what was left out."""
    from humanaes_desktop.cluster.collect import CollectCounts, from_folder, from_library
    from humanaes_desktop.cluster.manifest import ManifestHeader, PathMap, write_manifest
    from humanaes_desktop.engine.store.manifest import verify_model_folder
    from humanaes_desktop.model_choice import resolve_model_folder

    maps = tuple(PathMap.parse(text) for text in args.path_map)
    settings = AppSettings.load()
    choice = resolve_model_folder(args.model, settings, trust=args.trust_model_folder)
    folder, trusted = choice.folder, choice.trusted
    model = verify_model_folder(folder, trust_unknown=trusted).identity
    profile = _profile(args, settings)
    counts = CollectCounts()
    with _library(args) as library:
        if args.folder is not None:
            if not args.folder.is_dir():
                raise UserError(f"{args.folder} is not a folder")
            assessed = library.assessed_fingerprints(model.key, profile.key) if library else set()
            source = str(args.folder.resolve())
            entries = from_folder(source, assessed, maps, counts)
        else:
            if library is None:
                raise UserError("there is no library here; pass --db FILE or --folder F")
            source = str(library.path)
            entries = from_library(library, model.key, profile.key, maps, counts)
        header = ManifestHeader(model=model, profile=profile, source=source, path_maps=maps)
        written = write_manifest(args.out, header, entries)
    _print_manifest_summary(args.out, written, model, profile, counts)
    return 0


def _profile(args: argparse.Namespace, settings: AppSettings):
    from humanaes_desktop.engine.assessment import PreprocessProfile

    return PreprocessProfile(
        max_tiles=args.max_tiles or settings.max_tiles,
        decode="fast" if (args.fast_decode or settings.fast_decode) else "exact",
    )


class _library:
    """The library of --db (must exist), the default one if it exists, else None."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.library = None

    def __enter__(self):
        from humanaes_desktop.library import Library, default_db_path

        path = self.args.db.expanduser() if self.args.db else default_db_path()
        if not path.exists():
            if self.args.db is not None:
                raise UserError(f"There is no library at {self.args.db}; check the path.")
            return None
        self.library = Library.open(path)
        return self.library

    def __exit__(self, *_exc) -> None:
        if self.library is not None:
            self.library.close()


def _print_manifest_summary(out: Path, written: int, model, profile, counts) -> None:
    synthetic = " (SYNTHETIC)" if model.synthetic else ""
    print(f"wrote {out}: {written} photos without scores by {model.repo}{synthetic}, {profile.key}")
    if counts.duplicates:
        print(
            f"  {counts.duplicates} further copies of listed photos (scored once, imported to each)"
        )
    if counts.already_scored:
        print(f"  {counts.already_scored} already scored in the library: left out")
    if counts.unreadable:
        print(f"  {counts.unreadable} could not be read (no fingerprint): left out")


def run_score(args: argparse.Namespace) -> int:
    """Run the Ray job; 0 once every photo has a row (error rows included: a corrupt photo in
    an archive must not mark the job failed, which schedulers would retry)."""
    try:
        from humanaes_desktop.cluster.job import ScoreJob, run_score_job
    except ImportError as exc:
        raise UserError(f"`cluster score` needs Ray ({exc.name} is missing): {EXTRA_HINT}") from exc
    job = ScoreJob(
        manifest=args.manifest,
        model_dir=args.model.expanduser(),
        out=args.out.expanduser(),
        actors=args.actors,
        gpus_per_actor=args.gpus_per_actor,
        cpus_per_actor=args.cpus_per_actor,
        batch_size=args.batch_size,
        address=args.address,
        local_cpus=args.local_cpus,
        device=args.device,
        dtype=args.dtype,
        trust_model_folder=args.trust_model_folder,
        annotate=args.annotate,
        vision_batch_tiles=args.vision_batch_tiles,
        rows_per_file=args.rows_per_file,
    )
    report = run_score_job(job)
    print(f"run {report.run_id}: {report.summary()}")
    for reason in report.error_reasons:
        print(f"  error: {reason}", file=sys.stderr)
    print(f"import the results with: humanaes library import-results {job.out}")
    return 0
