"""Copy picked photos to a folder ("export picks"). No Qt: the dialog runs this in a thread.

Promises a user relies on: originals are only ever read (copy, never move); an existing file in
the destination is never overwritten (a name collision gets a " (2)" style suffix, and the final
name is claimed with an exclusive create so even a concurrent writer cannot be clobbered); a
cancelled or failed copy leaves no half-written file behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20  # cancel is honoured between chunks, so a huge file cannot stall it

# progress(files_done, files_total, current_source_path)
ProgressCallback = Callable[[int, int, str], None]


class ExportCancelled(Exception):
    """Raised inside a copy when the user cancelled; never leaves copy_files."""


@dataclass
class ExportReport:
    """What happened to each file: copied (source, destination) / skipped or failed (source, why)."""

    destination: str
    copied: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    not_started: list[str] = field(default_factory=list)  # left over when cancelled

    def summary(self) -> str:
        """One sentence a user reads at the end of an export."""
        parts = [f"{len(self.copied)} copied"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.cancelled:
            parts.append(f"cancelled with {len(self.not_started)} not copied")
        return ", ".join(parts) + f" to {self.destination}."


def copy_files(
    paths: Iterable[str | Path],
    dest: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ExportReport:
    """Copy each file into `dest` (created if needed), never overwriting; returns a report."""
    sources = [str(p) for p in paths]
    destination = Path(dest)
    destination.mkdir(parents=True, exist_ok=True)
    report = ExportReport(destination=str(destination))
    seen: set[str] = set()
    for done, source in enumerate(sources):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            report.not_started.extend(sources[done:])
            break
        if progress is not None:
            progress(done, len(sources), source)
        _export_one(source, destination, report, seen, cancel)
    if progress is not None and not report.cancelled:
        progress(len(sources), len(sources), "")
    log.info("export: %s", report.summary())
    return report


def _export_one(
    source: str,
    destination: Path,
    report: ExportReport,
    seen: set[str],
    cancel: threading.Event | None,
) -> None:
    resolved = os.path.realpath(source)
    if resolved in seen:
        report.skipped.append((source, "listed twice; copied once"))
        return
    seen.add(resolved)
    src = Path(source)
    if not src.is_file():
        reason = "file not found" if not src.exists() else "not a regular file"
        report.failed.append((source, reason))
        return
    if _identical_copy_exists(src, destination / src.name):
        report.skipped.append((source, f"an identical {src.name} is already there"))
        return
    try:
        target = _copy_without_overwrite(src, destination, cancel)
    except ExportCancelled:
        report.cancelled = True
        report.not_started.append(source)
        return
    except OSError as exc:
        report.failed.append((source, exc.strerror or str(exc)))
        log.warning("export: copying %s failed: %s", source, exc)
        return
    report.copied.append((source, str(target)))


def _identical_copy_exists(src: Path, candidate: Path) -> bool:
    """True when `candidate` already holds the same bytes (re-running an export adds nothing)."""
    try:
        if not candidate.is_file() or candidate.stat().st_size != src.stat().st_size:
            return False
        with src.open("rb") as a, candidate.open("rb") as b:
            while True:
                block_a, block_b = a.read(CHUNK_BYTES), b.read(CHUNK_BYTES)
                if block_a != block_b:
                    return False
                if not block_a:
                    return True
    except OSError:
        return False


def free_name(destination: Path, file_name: str) -> Path:
    """The first path in `destination` not taken: name.jpg, name (2).jpg, name (3).jpg …"""
    stem, suffix = os.path.splitext(file_name)
    candidate = destination / file_name
    number = 2
    while candidate.exists():
        candidate = destination / f"{stem} ({number}){suffix}"
        number += 1
    return candidate


def _copy_without_overwrite(src: Path, destination: Path, cancel: threading.Event | None) -> Path:
    while True:
        target = free_name(destination, src.name)
        try:
            handle = target.open("xb")  # exclusive: fails rather than overwrite a file
        except FileExistsError:
            continue  # someone took the name between the check and the create; pick another
        break
    try:
        with handle, src.open("rb") as reader:
            while chunk := reader.read(CHUNK_BYTES):
                if cancel is not None and cancel.is_set():
                    raise ExportCancelled()
                handle.write(chunk)
        shutil.copystat(src, target)  # keep capture-time mtime: other tools sort by it
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target
