"""`humanaes model …`: get, build, list, verify and forget model folders.

synth     build a synthetic (random-weight) model folder for tests and benchmarks
download  fetch the official model at its pinned revision into the user data dir
list      installed and trusted models with their verification state
verify    re-hash every file of a folder (weights included) against its manifest
forget    drop what the app remembers about a folder (trust, weight hashes)
check     score one photo with every speed trick and with the plain reference calls; compare
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from humanaes_desktop.errors import UserError

if TYPE_CHECKING:
    from humanaes_desktop.engine.store.download import DownloadProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `model` and its sub-commands to the CLI."""
    parser = subparsers.add_parser("model", help="get, build, list and verify models")
    sub = parser.add_subparsers(dest="model_command", metavar="ACTION")
    sub.required = True

    synth = sub.add_parser("synth", help="build a synthetic model folder (random weights)")
    synth.add_argument("--preset", choices=("tiny", "full"), default="tiny")
    synth.add_argument("--out", type=Path, required=True, metavar="DIR")
    synth.add_argument("--seed", type=int, default=0, metavar="N")
    synth.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    synth.set_defaults(handler=run_synth)

    download = sub.add_parser("download", help="download the official model (pinned revision)")
    download.add_argument("--variant", default="1b", choices=("1b",))
    download.add_argument("--dest", type=Path, metavar="DIR", help="install folder")
    download.set_defaults(handler=run_download)

    listing = sub.add_parser("list", help="installed and trusted models")
    listing.set_defaults(handler=run_list)

    verify = sub.add_parser("verify", help="verify every file of a model folder")
    verify.add_argument("folder", type=Path, metavar="DIR")
    verify.add_argument(
        "--trust-model-folder",
        action="store_true",
        help="accept and record a folder that matches no known release",
    )
    verify.set_defaults(handler=run_verify)

    forget = sub.add_parser("forget", help="forget the trust and hashes recorded for a folder")
    forget.add_argument("folder", type=Path, metavar="DIR")
    forget.set_defaults(handler=run_forget)

    check = sub.add_parser(
        "check",
        help="check that reuse, SDPA attention and the dtype give the reference code's scores",
        description="Assess one photo with the engine (reuse, SDPA attention, chosen dtype) "
        "and with the reference code's plain calls on the model's own attention code, and "
        "print the difference per field, the reuse counters, attention backend, dtype and "
        "timings. Exit code 1 when a difference exceeds the dtype's tolerance.",
    )
    check.add_argument("photo", type=Path, metavar="PHOTO")
    check.add_argument("--model", type=Path, metavar="DIR", help="default: the installed model")
    check.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    check.add_argument("--dtype", default="auto", choices=("auto", "fp32", "fp16", "bf16"))
    check.add_argument("--max-tiles", type=int, default=12, choices=range(1, 13), metavar="N")
    check.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    check.add_argument("--trust-model-folder", action="store_true", help=argparse.SUPPRESS)
    check.set_defaults(handler=run_check)


def run_synth(args: argparse.Namespace) -> int:
    """Build a synthetic model folder and check it loads through the verifier."""
    from humanaes_desktop.engine.store.manifest import verify_model_folder
    from humanaes_desktop.engine.synthetic import build_synthetic_model

    folder = build_synthetic_model(args.out, preset=args.preset, seed=args.seed, dtype=args.dtype)
    verified = verify_model_folder(folder)
    print(folder)
    print(
        f"humanaes: built {verified.identity.repo} ({verified.identity.revision}): a SYNTHETIC "
        "model with random weights; its scores mean nothing",
        file=sys.stderr,
    )
    return 0


def run_download(args: argparse.Namespace) -> int:
    """Download, verify and install the official model; Ctrl-C stops it resumably."""
    from humanaes_desktop.engine.store.download import download_model

    cancel = threading.Event()
    display = DownloadDisplay(sys.stderr)
    try:
        folder = download_model(args.variant, args.dest, progress=display.update, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        display.close()
        print("humanaes: download interrupted; run it again to resume", file=sys.stderr)
        return 130
    display.close()
    print(folder)
    return 0


class DownloadDisplay:
    """Download progress on stderr: one updating line on a terminal, a line per file otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self.current: str | None = None
        self.last_draw = 0.0

    def update(self, p: DownloadProgress) -> None:
        if not self.tty:
            if p.file != self.current:
                self.current = p.file
                print(f"[{p.files_done + 1}/{p.files_total}] {p.file}", file=self.err)
            return
        now = time.monotonic()
        complete = p.file_total is not None and p.file_done >= p.file_total
        if now - self.last_draw < 0.2 and not complete:
            return
        self.last_draw = now
        size = f"{p.file_done / 2**20:.1f}/{(p.file_total or 0) / 2**20:.1f} MiB"
        self.err.write(f"\r\x1b[K[{p.files_done + 1}/{p.files_total}] {p.file} {size}")
        self.err.flush()

    def close(self) -> None:
        if self.tty:
            self.err.write("\n")
            self.err.flush()


def _describe(folder: Path, *, full: bool = False, trust: bool = False) -> str:
    from humanaes_desktop.engine.store.manifest import verify_model_folder

    try:
        verified = verify_model_folder(folder, trust_unknown=trust, full=full)
    except UserError as exc:
        return f"REFUSED: {exc}"
    ident = verified.identity
    label = f"{verified.kind}: {ident.repo}@{ident.revision[:12]}"
    if ident.synthetic:
        label += " (SYNTHETIC, scores mean nothing)"
    return f"ok, {label}, weights sha256 {ident.weights_sha256[:12]}…"


def run_list(args: argparse.Namespace) -> int:
    """Print installed models, unfinished downloads and trusted folders."""
    from humanaes_desktop.engine.store import known_folders
    from humanaes_desktop.paths import models_dir

    root = models_dir()
    installed = known_folders.installed_model_folders()
    print(f"models in {root}:")
    for folder in installed:
        print(f"  {folder.name}: {_describe(folder)}")
    for partial in sorted(root.glob(".*.partial")):
        print(f"  {partial.name}: unfinished download (run `humanaes model download` to resume)")
    if not installed:
        print("  (none; run `humanaes model download`)")
    trusted = [f for f in known_folders.trusted_folders() if f.parent != root]
    if trusted:
        print("trusted folders:")
        for folder in trusted:
            state = _describe(folder) if folder.exists() else "missing"
            print(f"  {folder}: {state}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Hash every file of a folder, weights included, and say what it is."""
    from humanaes_desktop.engine.store.manifest import verify_model_folder

    verified = verify_model_folder(args.folder, trust_unknown=args.trust_model_folder, full=True)
    ident = verified.identity
    print(f"{verified.path}: verified ({verified.kind}, {verified.manifest})")
    print(f"  model    {ident.repo}@{ident.revision}")
    print(f"  weights  sha256 {ident.weights_sha256}")
    print(f"  files    {len(verified.hashed)} hashed")
    if ident.synthetic:
        print("  SYNTHETIC model: random weights, its scores mean nothing")
    return 0


def run_forget(args: argparse.Namespace) -> int:
    """Forget a folder's trust and recorded hashes."""
    from humanaes_desktop.engine.store.known_folders import forget_folder

    if forget_folder(args.folder):
        print(f"forgot {args.folder}")
    else:
        print(f"nothing recorded for {args.folder}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Handler of `humanaes model check`: engine vs plain reference calls on one photo."""
    from humanaes_desktop.engine.assessment import PreprocessProfile
    from humanaes_desktop.engine.images.loading import load_pixels
    from humanaes_desktop.engine.model.model_check import run_model_check
    from humanaes_desktop.model_choice import model_loader, resolve_model_folder
    from humanaes_desktop.settings import AppSettings

    profile = PreprocessProfile(max_tiles=args.max_tiles)
    pixels = load_pixels(args.photo, profile)
    # the same model `score` and `watch` would use (--model, the app's choice, the installed one)
    choice = resolve_model_folder(args.model, AppSettings.load(), trust=args.trust_model_folder)
    engine = model_loader(choice, args.device, args.dtype, args.threads)()
    print(f"model      {engine.label} on {engine.device}, loaded in {engine.load_seconds:.1f} s")
    print(f"dtype      {engine.dtype_note}")
    print(f"photo      {args.photo}: {pixels.shape[0]} tiles (max {args.max_tiles})", flush=True)
    report = run_model_check(engine, pixels, profile)
    _print_check(report)
    return 0 if report.agrees else 1


def _print_check(report) -> None:
    timings = report.assessment.timings
    print(f"\n{'field':<36}{'assess()':>10}{'reference':>11}{'|diff|':>10}")
    for f in report.fields:
        print(f"{f.name:<36}{f.engine:>10.5f}{f.reference:>11.5f}{f.difference:>10.2e}")
    verdict = "within" if report.agrees else "EXCEEDS"
    print(f"max |diff| {report.max_difference:.2e}: {verdict} the tolerance {report.tolerance:g}\n")
    for part, state in report.attention_parts.items():
        note = f" ({state.note})" if state.note else ""
        count = f" on {state.modules} modules" if state.modules else ""
        print(f"attention  {part}: {state.backend}{count}{note}")
    reuse = report.reuse
    print(
        f"reuse      vision {reuse['vision_calls']} calls -> {reuse['vision_computed']} computed; "
        f"language model {reuse['lm_calls']} calls -> {reuse['lm_computed']} full, "
        f"{reuse['lm_full_hits']} identical, {reuse['lm_prefix_hits']} prefix, "
        f"{reuse['lm_passthrough']} passed through; tokens {reuse['tokens_computed']:,} of "
        f"{reuse['tokens_requested']:,}"
    )
    for name, text in report.verdicts.items():
        print(f"verdict    {name}: {text}")
    stages = ", ".join(
        f"{name} {timings[name]:.2f} s"
        for name in ("vision", "lm", "heads", "self_check")
        if name in timings
    )
    print(f"timings    assess() {timings['total']:.2f} s ({stages})")
    print(f"           reference calls on the model's own code {report.reference_seconds:.2f} s")
    if report.assessment.synthetic:
        print("note       SYNTHETIC model: random weights, the scores mean nothing")
