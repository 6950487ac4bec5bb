"""`humanaes watch`: scan folders, keep watching them and score every new photo, without a GUI.

The same pieces as the desktop app: the Library (SQLite queue), the FolderWatcher and the
ScoringWorker. Shutdown is orderly — watcher, then worker, then the database — on Ctrl-C or
SIGTERM; a second signal abandons the image in the model (its job returns to the queue at the
next start, as after a crash).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.profiles import QUICK_MAX_TILES, ProfileMode
from humanaes_desktop.errors import UserError
from humanaes_desktop.pipeline.console import ConsoleReporter
from humanaes_desktop.pipeline.events import ProgressChanged, WorkerEvent, WorkerState
from humanaes_desktop.pipeline.first_pass import FirstPassWorker
from humanaes_desktop.pipeline.worker import EngineLoader, ScoringWorker
from humanaes_desktop.settings import DEVICES, DTYPES, MAX_TILES_RANGE, AppSettings

EXIT_OK = 0
EXIT_FORCED = 130


class ModelUnavailableError(UserError):
    """No model to score with: none installed, or the chosen one does not load."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `watch` to the CLI."""
    parser = subparsers.add_parser(
        "watch",
        help="scan, watch and score folders (headless)",
        description="Add FOLDERs to the library, score every photo in them, and keep scoring new "
        "photos until interrupted (Ctrl-C). Defaults come from the desktop app's settings.",
    )
    parser.add_argument("folders", nargs="+", metavar="FOLDER", type=Path)
    parser.add_argument("--db", type=Path, metavar="FILE", help="library database file")
    parser.add_argument("--model", type=Path, metavar="DIR", help="HumanAesExpert model folder")
    parser.add_argument(
        "--once", action="store_true", help="exit when the queue is empty instead of watching"
    )
    parser.add_argument("--device", choices=DEVICES, help="where the model runs (default: auto)")
    parser.add_argument("--dtype", choices=DTYPES, help="model precision (default: auto)")
    parser.add_argument(
        "--max-tiles", type=_max_tiles, metavar="N", help="448-px tiles per image (1-12)"
    )
    parser.add_argument(
        "--fast-decode", action="store_true", help="decode large JPEGs at reduced size (faster)"
    )
    passes = parser.add_mutually_exclusive_group()
    passes.add_argument(
        "--profile",
        choices=("quick", "full"),
        help="score with this profile only: quick = the whole photo as one tile (about 10x "
        "cheaper for a camera photo), full = up to --max-tiles tiles (the reference code's)",
    )
    passes.add_argument(
        "--quick-first",
        action="store_true",
        help="a quick score for every photo first, then full scores, most promising first "
        "(the default on a CPU)",
    )
    parser.add_argument(
        "--annotate",
        action="store_true",
        help="also write the model's annotation text for every photo (slower)",
    )
    parser.add_argument(
        "--trust-model-folder",
        action="store_true",
        help="accept a model folder whose files match no known release (runs its code)",
    )
    parser.set_defaults(handler=run_watch)


def _max_tiles(text: str) -> int:
    low, high = MAX_TILES_RANGE
    value = int(text)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
    return value


def run_watch(args: argparse.Namespace) -> int:
    """The `watch` handler; returns the exit code."""
    from humanaes_desktop.model_choice import model_loader, resolve_model_folder

    settings = AppSettings.load()
    mode = profile_mode(args, settings)  # first: a usage error must not wait for a model
    choice = resolve_model_folder(args.model, settings, trust=args.trust_model_folder)
    profile = PreprocessProfile(
        max_tiles=args.max_tiles or settings.max_tiles,
        decode="fast" if (args.fast_decode or settings.fast_decode) else "exact",
    )
    loader = _announcing(
        model_loader(choice, args.device or settings.device, args.dtype or settings.dtype)
    )
    from humanaes_desktop.library import (
        Library,  # SQLAlchemy only once the arguments are known to be good
    )

    library = Library.open(args.db)
    annotate_all = args.annotate or settings.annotation == "on"
    session = WatchSession(
        library,
        loader,
        profile,
        once=args.once,
        annotate_all=annotate_all,
        profile_mode=mode,
    )
    try:
        code = session.run([str(p) for p in args.folders])
    finally:
        # After a forced exit the model may still be mid-image: the DB is then left to the
        # process exit, and the job still marked running is re-queued at the next start.
        if not session.worker.is_alive():
            library.close()
    if session.failure is not None:
        raise ModelUnavailableError(session.failure)
    return code


def profile_mode(args: argparse.Namespace, settings: AppSettings) -> ProfileMode:
    """--profile or --quick-first, else the app's setting ("auto" settles on the device)."""
    if args.quick_first:
        return ProfileMode.QUICK_FIRST
    if args.profile == ProfileMode.QUICK.value and args.max_tiles not in (None, QUICK_MAX_TILES):
        raise UserError("--max-tiles sets the full profile; --profile quick always feeds one tile")
    if args.profile:
        return ProfileMode(args.profile)
    return ProfileMode(settings.profile_mode)


def _announcing(load: EngineLoader) -> EngineLoader:
    """`load`, then say on stderr how the model runs (device, precision and why)."""

    def load_and_announce():
        from humanaes_desktop.commands.score import announce_engine

        engine = load()
        announce_engine(engine, sys.stderr)
        return engine

    return load_and_announce


class _ScanInterrupted(Exception):
    """Ctrl-C during the startup scan: a 100k-file scan should not make the user wait."""


class _StopSignals:
    """SIGINT/SIGTERM: the first asks for an orderly stop, a second forces the exit."""

    def __init__(self) -> None:
        self.requested = False  # a plain flag: setting an Event from a handler can deadlock
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _StopSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


class WatchSession:
    """One `humanaes watch` run: prepare the library, run watcher and worker, shut down."""

    def __init__(
        self,
        library,
        loader: EngineLoader,
        profile: PreprocessProfile,
        *,
        once: bool,
        out: TextIO | None = None,
        annotate_all: bool = False,
        profile_mode: ProfileMode = ProfileMode.FULL,
    ) -> None:
        self.library = library
        self.once = once
        self.out = out or sys.stderr
        self.failure: str | None = None  # why the model cannot be used, if it cannot
        self._finished = threading.Event()
        self._reporter = ConsoleReporter(self.out)
        self.worker = ScoringWorker(
            library,
            loader,
            profile,
            self._on_event,
            annotate_all=annotate_all,
            profile_mode=profile_mode,
        )
        # Sharpness, faces and bursts for every photo, long before the model gets to it.
        self.first_pass = FirstPassWorker(library)
        self._watcher = None

    def run(self, folders: list[str]) -> int:
        """Score (and watch) until done or interrupted; returns the exit code."""
        requeued = self.library.requeue_interrupted()
        # Scores (when the library writes them) and owed ratings go to the sidecars behind.
        self.library.sidecars.start_writer()
        if requeued:
            self._say(f"{requeued} interrupted job(s) back in the queue")
        self._add_new_folders(folders)
        with _StopSignals() as signals:
            try:
                self._run_until_finished(signals)
            except KeyboardInterrupt:
                self._say("interrupted again: abandoning the current image (re-queued next time)")
                return EXIT_FORCED
        self._summary()
        return EXIT_OK

    def _run_until_finished(self, signals: _StopSignals) -> None:
        try:
            # The watcher starts before the scan, so a file arriving in between is seen by one
            # of them (both are idempotent).
            self._start_watcher()
            if not self._scan(signals):
                return
            self.first_pass.start()
            self.worker.start()
            while not (self._finished.is_set() or signals.requested):
                # Polled so a signal handler never needs a lock (see _StopSignals).
                self._finished.wait(0.2)
                if not self.worker.is_alive() and not self._finished.is_set():
                    self.failure = "the scoring worker stopped unexpectedly; see the log above"
                    break
            self._say("stopping…" if signals.requested else "done")
        finally:
            self._shutdown()

    def _scan(self, signals: _StopSignals) -> bool:
        """The startup scan; False if Ctrl-C stopped it (between two batches of files)."""

        def stop_if_asked(_done: int, _total: int) -> None:
            if signals.requested:
                raise _ScanInterrupted

        try:
            report = self.library.scan_all(stop_if_asked)
        except _ScanInterrupted:
            self._say("scan interrupted: what was read is kept, the rest is read next time")
            return False
        counts = self.library.queue_counts()
        self._say(f"scanned: {_describe_scan(report)}; {counts.queued} image(s) queued")
        return True

    def _add_new_folders(self, folders: list[str]) -> None:
        # Naming a folder the library already watches (or one inside it) is not an error here:
        # `humanaes watch ~/Photos` is meant to be run again and again.
        watched = [Path(os.path.realpath(f.path)) for f in self.library.folders()]
        for folder in folders:
            real = Path(os.path.realpath(folder))
            if any(real == w or real.is_relative_to(w) for w in watched):
                continue
            self.library.add_folder(folder)
            watched.append(real)

    def _start_watcher(self) -> None:
        if self.once:
            return
        from humanaes_desktop.library.watch import FolderWatcher

        self._watcher = FolderWatcher(self.library, on_change=self._on_files_changed)
        self._watcher.start()

    def _on_files_changed(self) -> None:
        self.worker.wake()
        self.first_pass.wake()

    def _shutdown(self) -> None:
        """Watcher first (no new jobs), then the worker (finishes the image in the model)."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        self.first_pass.stop()
        self.worker.stop()
        if self.once and self.failure is None and self._finished.is_set():
            self.first_pass.run_until_idle()  # --once: every photo analysed before exiting

    def _on_event(self, event: WorkerEvent) -> None:
        self._reporter(event)
        if not isinstance(event, ProgressChanged):
            return
        if event.state == WorkerState.WAITING_FOR_MODEL:
            # Headless, nobody can pick another model: waiting forever would help no one.
            self.failure = event.message or "the model is not available"
            self._finished.set()
        elif self.once and event.state == WorkerState.IDLE and event.remaining == 0:
            self._finished.set()

    def _summary(self) -> None:
        counts = self.library.queue_counts()
        line = f"{counts.scored} scored, {counts.failed} failed, "
        line += f"{counts.queued + counts.running} still queued"
        if counts.awaiting_full:
            line += f" ({counts.awaiting_full} with a quick score, awaiting the full one)"
        self._say(line)

    def _say(self, line: str) -> None:
        print(f"humanaes: {line}", file=self.out, flush=True)


def _describe_scan(report) -> str:
    names = ("added", "changed", "moved", "restored", "missing", "unsupported", "failed")
    parts = [f"{getattr(report, n, 0)} {n}" for n in names if getattr(report, n, 0)]
    return ", ".join(parts) or "no changes"
