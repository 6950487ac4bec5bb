"""`humanaes library …`: look after the photo library without the GUI.

status   counts by status, the queue, assessments made and throughput so far, models used
export   every image with its scores, level, ratings, model identity and culling signals
groups   bursts and sets (brackets, focus stacks, panoramas) with the suggested pick and why
add      watch a folder (and scan it)
scan     reconcile every watched folder with the disk
remove   stop watching a folder (its ratings are kept unless --purge)
import-results   merge the Parquet results of `humanaes cluster score` (matched by fingerprint)
rate     stars, pick/reject, colour label (see _sidecars.py, with `xmp`)
xmp      the XMP sidecar sync: status, sync, set, resolve
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

from humanaes_desktop.commands import _sidecars
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.errors import UserError
from humanaes_desktop.wording import format_eta

# The gallery's sort keys (library/queries.py SORT_KEYS), listed here so `--help` needs no SQL.
EXPORT_SORT_KEYS = (
    "overall", "fast_score", *DIMENSION_KEYS, "file_name", "captured_at", "mtime", "stars",
    "level", "status", "taste",
)  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `library` and its sub-commands to the CLI."""
    parser = subparsers.add_parser("library", help="status, export and folders of the library")
    sub = parser.add_subparsers(dest="library_command", metavar="ACTION")
    sub.required = True

    def action(name: str, help_text: str, handler) -> argparse.ArgumentParser:
        return _sidecars.add_action(sub, name, help_text, handler)

    action("status", "counts by status, queue and throughput", run_status)
    export = action("export", "export scores, levels and ratings", run_export)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    export.add_argument(
        "--sort",
        choices=EXPORT_SORT_KEYS,
        help="row order, best first (default: by path; taste: your learnt taste, once it has "
        "earned its place)",
    )
    export.add_argument("--ascending", action="store_true", help="worst first")
    groups = action("groups", "bursts and sets with their suggested picks", run_groups)
    groups.add_argument("--format", choices=("json", "csv"), default="json")
    groups.add_argument("--folder", metavar="FOLDER", help="only this folder (path or id)")
    groups.add_argument(
        "--gap",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="longest pause between two frames of one burst (default 2)",
    )
    groups.add_argument(
        "--no-first-pass",
        action="store_true",
        help="use the stored signals only; do not analyse photos that lack them",
    )
    add = action("add", "watch a folder and scan it", run_add)
    add.add_argument("folders", type=Path, nargs="+", metavar="FOLDER")
    add.add_argument("--no-scan", action="store_true", help="only add; scan later")
    action("scan", "reconcile every watched folder with the disk", run_scan)
    remove = action("remove", "stop watching a folder", run_remove)
    remove.add_argument("folder", metavar="FOLDER", help="its path or id (see status)")
    remove.add_argument(
        "--purge", action="store_true", help="also delete its scores and ratings for good"
    )
    imported = action(
        "import-results", "merge the results of a cluster job into the library", run_import
    )
    imported.add_argument("results", type=Path, metavar="DIR", help="the job's output folder")
    _sidecars.add_actions(action)


@contextmanager
def _opened(args: argparse.Namespace, *, create: bool = False):
    from humanaes_desktop.library import (
        Library,  # SQLAlchemy only once the arguments are known to be good
    )

    if not create and args.db is not None and not args.db.expanduser().exists():
        # A mistyped --db must not create, and then report on, an empty library.
        raise UserError(
            f"There is no library at {args.db}; check the path, or start one with "
            "`humanaes library add FOLDER --db FILE`."
        )
    library = Library.open(args.db)
    try:
        yield library
    finally:
        library.close()


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "-"


def run_status(args: argparse.Namespace) -> int:
    """Print what the library holds and how scoring has gone so far."""
    out = sys.stdout
    with _opened(args) as library:
        print(f"library: {library.path}", file=out)
        for folder in library.folders():
            state = "" if folder.available else "  (NOT AVAILABLE)"
            print(
                f"  folder {folder.id}: {folder.path}  {folder.image_count} images{state}", file=out
            )
        counts = library.status_counts()
        print("images: " + ", ".join(f"{s.value} {n}" for s, n in counts.items()), file=out)
        queue = library.queue_counts()
        print(f"queue: {queue.queued} queued, {queue.running} running", file=out)
        stats = library.stats()
        print(_shown_scores_line(stats.shown_by_kind, queue.awaiting_full), file=out)
        rate = f"{stats.per_hour:.1f} per hour" if stats.per_hour else "n/a"
        stored = stats.assessments_by_kind
        print(
            f"assessments: {stats.assessments} ({stored.get(ProfileKind.FULL, 0)} full,"
            f" {stored.get(ProfileKind.QUICK, 0)} quick;"
            f" {_when(stats.first_at)} .. {_when(stats.last_at)}); throughput so far: {rate}",
            file=out,
        )
        for model in stats.models:
            label = "  SYNTHETIC: scores mean nothing" if model.synthetic else ""
            print(f"  model {model.repo}@{model.revision}: {model.assessments}{label}", file=out)
    return 0


def _shown_scores_line(shown: dict, awaiting_full: int) -> str:
    full, quick = shown.get(ProfileKind.FULL, 0), shown.get(ProfileKind.QUICK, 0)
    line = f"scores shown: {full} full, {quick} quick (1 tile)"
    if awaiting_full:
        line += f"; {awaiting_full} full score(s) pending"
    return line


def run_export(args: argparse.Namespace) -> int:
    """Write every image's scores, level, ratings and model identity as CSV or JSON."""
    with _opened(args) as library:
        from humanaes_desktop.library.records import GalleryQuery

        query = None
        if args.sort:
            query = GalleryQuery(sort_key=args.sort, descending=not args.ascending)
            library.query_ids(query)  # a refused sort (taste not learnt) says why before any output
        rows = library.export_rows(query)
        if args.out is None:
            _write_rows(sys.stdout, rows, args.format)
            return 0
        try:
            _write_replacing(args.out.expanduser(), lambda out: _write_rows(out, rows, args.format))
        except OSError as exc:
            raise UserError(
                f"Cannot write the export to {args.out}: {exc.strerror or exc}."
            ) from exc
    return 0


def _write_rows(target: TextIO, rows: Iterable[dict], export_format: str) -> None:
    from humanaes_desktop.library.score_export import EXPORT_FIELDS

    if export_format == "csv":
        writer = csv.DictWriter(target, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        json.dump(list(rows), target, indent=1)
        target.write("\n")


def _write_replacing(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write a temporary file beside `path`, then rename it over `path`: an export that fails
    half-way (disk full, an error) leaves the previous file as it was."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle = tempfile.NamedTemporaryFile(
        "w",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".part",
        delete=False,
        newline="",
        encoding="utf-8",
    )
    try:
        with handle:
            write(handle)
        os.chmod(handle.name, mode)  # temporary files are private (0600); exports are not
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


class _ScanProgress:
    """`read 12000/1000000 files, ETA 41 min` on stderr every 2,000 files (a scan's progress)."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if done == 0:
            self._started = time.monotonic()  # each folder's reading starts its own count
        if total and done and (done == total or done % 2000 == 0):
            left = (time.monotonic() - self._started) * (total - done) / done
            eta = f", {format_eta(left, compact=True)}" if done < total else ""
            print(f"  read {done}/{total} files{eta}", file=sys.stderr)


def run_groups(args: argparse.Namespace) -> int:
    """Print every burst and set with its members, the suggested pick and the reasons."""
    from humanaes_desktop.library.groups_export import write_groups

    if not 0.0 < args.gap <= 60.0:
        raise UserError("--gap must be between 0 and 60 seconds.")
    with _opened(args) as library:
        folder_id = _folder_id(library, args.folder) if args.folder else None
        _first_pass_and_regroup(library, args, folder_id)
        write_groups(sys.stdout, library.groups(folder_id), args.format)
    return 0


def _folder_id(library, wanted: str) -> int:
    for folder in library.folders(with_counts=False):
        if wanted == str(folder.id) or Path(wanted).resolve() == Path(folder.path).resolve():
            return folder.id
    raise UserError(f"{wanted} is not a watched folder; `humanaes library status` lists them.")


def _first_pass_and_regroup(library, args: argparse.Namespace, folder_id: int | None) -> None:
    from humanaes_desktop.engine.culling.grouping import GroupingSettings
    from humanaes_desktop.pipeline.first_pass import FirstPassWorker

    settings = GroupingSettings(burst_gap_s=args.gap)
    if not args.no_first_pass:
        worker = FirstPassWorker(library, settings=settings)
        waiting = library.count_first_pass_waiting(worker.backend_key)
        if waiting:
            print(f"analysing {waiting} photos (sharpness, exposure, faces)...", file=sys.stderr)
            worker.run_until_idle(_analysed)
    folders = (
        [folder_id] if folder_id is not None else [f.id for f in library.folders(with_counts=False)]
    )
    for folder in folders:  # the gap may differ from the last grouping's: cheap to redo
        library.regroup_folder(folder, settings)


def _analysed(done: int, total: int) -> None:
    if total and done and (done >= total or done % 500 < 16):
        print(f"  analysed {min(done, total)}/{total} photos", file=sys.stderr)


def run_add(args: argparse.Namespace) -> int:
    """Watch folders and (unless --no-scan) scan them now."""
    with _opened(args, create=True) as library:
        for path in args.folders:
            folder = library.add_folder(path)
            print(f"watching {folder.path} (folder {folder.id})")
            if not args.no_scan:
                print(f"  {library.scan_folder(folder.id, _ScanProgress()).summary()}")
    return 0


def run_scan(args: argparse.Namespace) -> int:
    """Reconcile all watched folders with the disk."""
    with _opened(args) as library:
        if not library.folders():
            raise UserError(
                "The library watches no folder yet; add one with `humanaes library add`."
            )
        print(library.scan_all(_ScanProgress()).summary())
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Stop watching a folder given by id or path."""
    with _opened(args) as library:
        wanted = str(args.folder)
        for folder in library.folders():
            if wanted == str(folder.id) or Path(wanted).resolve() == Path(folder.path).resolve():
                library.remove_folder(folder.id, purge=args.purge)
                kept = "deleted its scores and ratings" if args.purge else "kept its ratings"
                print(f"stopped watching {folder.path}; {kept}")
                return 0
    raise UserError(f"{wanted} is not a watched folder; `humanaes library status` lists them.")


def run_import(args: argparse.Namespace) -> int:
    """Merge a cluster job's results (idempotent); report what matched and what did not."""
    try:
        from humanaes_desktop.cluster.merge import import_folder
    except ImportError as exc:  # pyarrow: the cluster extra
        raise UserError(
            f"reading cluster results needs {exc.name}: pip install 'humanaes-desktop[cluster]'"
        ) from exc
    with _opened(args) as library:
        return import_folder(library, args.results.expanduser(), sys.stdout)
