"""`humanaes score`: assess image files with a verified model and print one result per image.

stdout carries only results (JSON lines, CSV or a table); progress, warnings and errors go to
stderr. A file that cannot be scored gets its own result line with `error` and `reason`, the run
goes on, and the exit code is 1; a problem with the model or the arguments is exit 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from humanaes_desktop.engine.assessment import Assessment, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.profiles import QUICK_MAX_TILES, ProfileKind
from humanaes_desktop.errors import UserError, error_code
from humanaes_desktop.wording import format_duration, format_eta

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_SOME_FAILED = 1
MAIN_COLUMNS = ("path", "overall", "level", "fast_score")
TAIL_COLUMNS = ("synthetic", "tiles", "seconds", "error")
DEFAULT_MAX_TILES = 12  # the reference code's


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `score` to the CLI."""
    parser = subparsers.add_parser(
        "score",
        help="score images and print the results",
        description="Assess images with HumanAesExpert: MetaVoter overall score, level, fast "
        "score and the 12 aesthetic dimensions. Directories are searched for supported images.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="IMAGE_OR_DIR")
    parser.add_argument(
        "--model", type=Path, metavar="DIR", help="model folder (default: the installed model)"
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--dtype", default="auto", choices=("auto", "fp32", "fp16", "bf16"))
    parser.add_argument(
        "--profile",
        choices=("full", "quick"),
        default="full",
        help="full: up to --max-tiles 448-px tiles, as the reference code (default); quick: the "
        "whole photo as one tile, about 10x cheaper for a camera photo, a coarser score",
    )
    parser.add_argument(
        "--max-tiles",
        type=_max_tiles,
        metavar="N",
        help="448-px tiles of the full profile (1-12, default 12)",
    )
    parser.add_argument(
        "--fast-decode", action="store_true", help="decode large JPEGs at reduced size (faster)"
    )
    parser.add_argument("--annotate", action="store_true", help="also generate annotation text")
    parser.add_argument(
        "--sample", action="store_true", help="sample the annotation instead of greedy decoding"
    )
    parser.add_argument("--format", default="json", choices=("json", "csv", "table"))
    parser.add_argument("--threads", type=_positive, metavar="N", help="torch CPU threads")
    parser.add_argument(
        "--trust-model-folder",
        action="store_true",
        help="accept a model folder whose files match no known release (runs its code)",
    )
    parser.set_defaults(handler=run_score)


def _max_tiles(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 12:
        raise argparse.ArgumentTypeError("must be between 1 and 12")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class UnreadableFolder:
    """A folder given (or found) on the command line whose contents could not be listed."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.name = path.name  # what the progress line shows
        self.reason = f"{path}: cannot list this folder ({error.strerror or error})"


class UnsupportedImage:
    """A photo found in a folder in a format we recognise but cannot score (PSD, X3F, JPEG XL)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.name = path.name
        self.reason = reason


Entry = Path | UnreadableFolder | UnsupportedImage


def collect_images(inputs: list[Path]) -> list[Entry]:
    """Files as given, plus the images under each directory (sorted).

    A folder that cannot be listed (permissions) is kept as an `UnreadableFolder` entry and a
    recognised image we cannot read as an `UnsupportedImage`, so each gets its own error line
    instead of silently contributing nothing.
    """
    found: list[Entry] = []
    for item in inputs:
        if item.is_dir():
            found += _images_under(item)
        else:
            found.append(item)  # a missing or bad file is reported on its own result line
    if not found:
        raise UserError(f"no supported images found in {', '.join(str(i) for i in inputs)}")
    return found


def _images_under(folder: Path) -> list[Entry]:
    from humanaes_desktop.library.formats import is_candidate_path, unsupported_reason

    problems: list[UnreadableFolder] = []
    files: list[Path] = []

    def failed(error: OSError) -> None:
        problems.append(UnreadableFolder(Path(error.filename or folder), error))

    for root, _dirs, names in os.walk(folder, onerror=failed):
        files += (Path(root) / name for name in names if is_candidate_path(name))
    entries: list[Entry] = []
    for path in sorted(p for p in files if p.is_file()):
        reason = unsupported_reason(str(path))
        entries.append(path if reason is None else UnsupportedImage(path, f"{path}: {reason}"))
    return [*problems, *entries]


def chosen_profile(kind: str, max_tiles: int | None, fast_decode: bool) -> PreprocessProfile:
    """The profile of `--profile` and `--max-tiles` (which only the full profile takes)."""
    decode = "fast" if fast_decode else "exact"
    if kind == ProfileKind.QUICK.value:
        if max_tiles not in (None, QUICK_MAX_TILES):
            raise UserError(
                "--max-tiles sets the full profile; --profile quick always feeds one tile"
            )
        return PreprocessProfile(max_tiles=QUICK_MAX_TILES, decode=decode)
    return PreprocessProfile(max_tiles=max_tiles or DEFAULT_MAX_TILES, decode=decode)


def run_score(args: argparse.Namespace) -> int:
    """Handler of `humanaes score`."""
    profile = chosen_profile(args.profile, args.max_tiles, args.fast_decode)
    images = collect_images(args.inputs)
    from humanaes_desktop.model_choice import model_loader, resolve_model_folder
    from humanaes_desktop.settings import AppSettings

    settings = AppSettings.load()  # the model chosen in the app, as `watch` uses it
    choice = resolve_model_folder(args.model, settings, trust=args.trust_model_folder)
    engine = model_loader(choice, args.device, args.dtype, args.threads)()
    announce_engine(engine, sys.stderr)
    try:
        failed = _score_all(engine, images, profile, args)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_SOME_FAILED
    return EXIT_SOME_FAILED if failed else EXIT_OK


def announce_engine(engine: Any, err: TextIO) -> None:
    """Say on stderr how the model runs (device, precision and why) and if it is synthetic."""
    print(
        f"humanaes: {engine.label} on {engine.device}, precision {engine.dtype_note}",
        file=err,
    )
    if engine.identity.synthetic:
        print(
            f"humanaes: warning: {engine.label} is a SYNTHETIC model with random weights; "
            "its scores mean nothing",
            file=err,
        )


def _score_all(engine: Any, images: list[Entry], profile: PreprocessProfile, args: Any) -> int:
    writer = ResultWriter(args.format, sys.stdout)
    progress = Progress(len(images), sys.stderr)
    failed = 0
    for path in images:
        progress.started(path)
        result = _score_one(engine, path, profile, args)
        failed += "error" in result
        writer.write(result)
        progress.finished()
    progress.close()
    writer.close()
    return failed


def _score_one(engine: Any, path: Entry, profile: PreprocessProfile, args: Any) -> dict[str, Any]:
    """One result line; never raises for a problem with this one file (Ctrl-C still stops)."""
    from humanaes_desktop.engine.images.loading import load_pixels
    from humanaes_desktop.pipeline.scoring import (
        assess_reducing_tiles,
        describe_assess_failure,
        is_out_of_memory,
    )

    if isinstance(path, UnreadableFolder):
        return {"path": str(path.path), "error": "unreadable_folder", "reason": path.reason}
    if isinstance(path, UnsupportedImage):
        return {"path": str(path.path), "error": "unsupported_format", "reason": path.reason}
    if not path.exists() and not path.is_symlink():
        return {"path": str(path), "error": "not_found", "reason": f"{path} does not exist"}
    try:
        pixels = load_pixels(path, profile)
        assessment: Assessment = assess_reducing_tiles(
            engine,
            str(path),
            pixels,
            profile,
            load_pixels,
            annotate=args.annotate,
            sample=args.sample,
        )
    except UserError as exc:
        return {"path": str(path), "error": error_code(exc), "reason": str(exc)}
    except Exception as exc:
        # Not the user's fault, but one image must not stop the run: report it and go on.
        log.debug("scoring %s failed", path, exc_info=True)
        if is_out_of_memory(exc):
            code, reason = "out_of_memory", describe_assess_failure(exc)[0]
        else:
            code, reason = "scoring_failed", f"{type(exc).__name__}: {exc}"
        return {"path": str(path), "error": code, "reason": reason}
    kind = ProfileKind.of(assessment.profile.max_tiles)
    return {"path": str(path), **assessment.to_json_dict(), "profile_kind": kind.value}


class ResultWriter:
    """Writes result dicts to stdout as JSON lines, CSV or an aligned table."""

    def __init__(self, fmt: str, out: TextIO) -> None:
        self.fmt = fmt
        self.out = out
        self.columns = (*MAIN_COLUMNS, *DIMENSION_KEYS, *TAIL_COLUMNS)
        self._csv = csv.writer(out) if fmt == "csv" else None
        if self._csv:
            self._csv.writerow(self.columns)
        elif fmt == "table":
            self.out.write(self._table_line(self._short_headers()) + "\n")

    def write(self, result: dict[str, Any]) -> None:
        if self.fmt == "json":
            self.out.write(json.dumps(result, ensure_ascii=False) + "\n")
        elif self._csv:
            self._csv.writerow(self._row(result))
        else:
            self.out.write(self._table_line(self._row(result)) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()

    def _row(self, result: dict[str, Any]) -> list[str]:
        dims = result.get("dimensions") or {}
        cells: dict[str, Any] = {
            "path": result["path"],
            "overall": result.get("overall"),
            "level": result.get("level", ""),
            "fast_score": result.get("fast_score"),
            "synthetic": result.get("synthetic", ""),
            "tiles": result.get("tiles", ""),
            "seconds": (result.get("timings") or {}).get("total"),
            "error": result.get("reason", ""),
            **{k: dims.get(k) for k in DIMENSION_KEYS},
        }
        return [_cell(cells[c]) for c in self.columns]

    def _short_headers(self) -> list[str]:
        return [c if c in ("path", "error") else c[:9] for c in self.columns]

    @staticmethod
    def _table_line(cells: list[str]) -> str:
        path, rest = cells[0], cells[1:]
        return f"{path[-40:]:<40} " + " ".join(f"{c:>9}" for c in rest)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


class Progress:
    """A one-line progress display on a terminal's stderr; silent when stderr is not a TTY."""

    def __init__(self, total: int, err: TextIO) -> None:
        self.total = total
        self.err = err
        self.enabled = total > 1 and err.isatty()
        self.done = 0
        self.start = time.monotonic()

    def started(self, path: Entry) -> None:
        if not self.enabled:
            return
        eta = ""
        if self.done:
            left = (time.monotonic() - self.start) / self.done * (self.total - self.done)
            eta = f"  {format_eta(left, compact=True)}"
        self.err.write(f"\r\x1b[K[{self.done + 1}/{self.total}] {path.name[:50]}{eta}")
        self.err.flush()

    def finished(self) -> None:
        self.done += 1

    def close(self) -> None:
        if self.enabled:
            self.err.write(
                f"\r\x1b[K{self.done} images in "
                f"{format_duration(time.monotonic() - self.start, compact=True)}\n"
            )
            self.err.flush()


def iter_results(lines: str) -> Iterator[dict[str, Any]]:
    """Parse `--format json` output (one object per line); handy for scripts and tests."""
    for line in lines.splitlines():
        if line.strip():
            yield json.loads(line)
