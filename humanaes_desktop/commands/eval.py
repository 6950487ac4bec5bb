"""`humanaes eval`: how well the model's scores agree with labelled photos, the authors' way.

Reads a HumanBeauty JSON-lines or a simple CSV label file, scores every labelled photo (or takes
the assessment a library already holds for the same model + profile), and writes metrics.json,
predictions.csv and pictures to the output folder; the table goes to stdout, progress to stderr.
Exit code 0 when every photo was scored, 1 when some could not be (their rows say why), 2 for a
usage problem (no label file, no model).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.errors import UserError

# The authors evaluate with up to 12 tiles; "quick" is the whole photo as one tile.
PROFILES = {"full": PreprocessProfile(max_tiles=12), "quick": PreprocessProfile(max_tiles=1)}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `eval` to the CLI."""
    parser = subparsers.add_parser(
        "eval",
        help="measure the scores against labelled photos (PLCC, SRCC, accuracy, ...)",
        description="Score labelled photos and report the model authors' metrics (absolute "
        "PLCC/SRCC/KRCC without fitting, level accuracy, mean precision/recall/F1, their "
        "root-mse and root-mae), the standard variants and per-dimension correlations.",
    )
    parser.add_argument("labels", type=Path, metavar="LABELS", help="HumanBeauty .jsonl or a CSV")
    parser.add_argument("--images-root", type=Path, required=True, metavar="DIR")
    parser.add_argument("--model", type=Path, metavar="DIR", help="model folder")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument(
        "--db",
        type=Path,
        metavar="FILE",
        help="library to resume from (default: OUT/library.sqlite3)",
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: ./eval-LABELS)"
    )
    parser.add_argument(
        "--bootstrap", type=int, default=1000, metavar="N", help="resamples (0: none)"
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--dtype", default="auto", choices=("auto", "fp32", "fp16", "bf16"))
    parser.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    parser.add_argument("--trust-model-folder", action="store_true")
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    """Handler of `humanaes eval`."""
    from humanaes_desktop.commands.score import Progress
    from humanaes_desktop.engine.store.manifest import verify_model_folder
    from humanaes_desktop.evaluation import report
    from humanaes_desktop.evaluation.labels import read_labels
    from humanaes_desktop.evaluation.predict import predict_all, register_images
    from humanaes_desktop.library import Library
    from humanaes_desktop.model_choice import model_loader, resolve_model_folder
    from humanaes_desktop.settings import AppSettings

    if not args.images_root.is_dir():
        raise UserError(f"the images root {args.images_root} is not a folder")
    samples = read_labels(args.labels, args.images_root)
    choice = resolve_model_folder(args.model, AppSettings.load(), trust=args.trust_model_folder)
    identity = verify_model_folder(choice.folder, trust_unknown=choice.trusted).identity
    if identity.synthetic:
        print(f"humanaes: warning: {identity.repo} is a SYNTHETIC model; {report.SYNTHETIC_NOTE}",
              file=sys.stderr)  # fmt: skip
    out = args.out or Path(f"eval-{args.labels.stem}")
    out.mkdir(parents=True, exist_ok=True)
    profile = PROFILES[args.profile]
    library = Library.open(args.db or out / "library.sqlite3")
    try:
        print(f"humanaes: {len(samples)} labelled photos; registering {args.images_root}",
              file=sys.stderr)  # fmt: skip
        register_images(library, args.images_root)
        progress = Progress(len(samples), sys.stderr)
        predictions = predict_all(
            samples,
            library=library,
            identity=identity,
            profile=profile,
            load_engine=model_loader(choice, args.device, args.dtype, args.threads),
            progress=progress,
        )
        progress.close()
    finally:
        library.close()
    return _write_report(predictions, identity, profile, out, args.bootstrap)


def _write_report(predictions, identity, profile, out: Path, bootstrap: int) -> int:
    from humanaes_desktop.evaluation import report

    summary = report.summarise(predictions, identity=identity, profile=profile, bootstrap=bootstrap)
    report.write_predictions(predictions, identity, profile, out / "predictions.csv")
    report.write_metrics(summary, out / "metrics.json")
    pictures = _pictures(predictions, summary, out)
    report.print_table(summary, sys.stdout)
    written = ["metrics.json", "predictions.csv", *(p.name for p in pictures)]
    print(f"humanaes: wrote {', '.join(written)} to {out}", file=sys.stderr)
    failed = summary["counts"]["errors"]
    if failed:
        print(
            f"humanaes: {failed} photos could not be scored (see predictions.csv)", file=sys.stderr
        )
    return 1 if failed or not summary["counts"]["scored"] else 0


def _pictures(predictions, summary, out: Path) -> list[Path]:
    if importlib.util.find_spec("matplotlib") is None:  # the optional `eval` extra
        print("humanaes: no pictures: matplotlib is not installed (pip install "
              "'humanaes-desktop[eval]')", file=sys.stderr)  # fmt: skip
        return []
    from humanaes_desktop.evaluation import plots

    return plots.draw_all(predictions, summary, out)
