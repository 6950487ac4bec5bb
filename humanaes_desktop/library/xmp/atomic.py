"""Writing a sidecar so that no reader ever sees half a file and no crash loses the old one.

A temporary file in the same folder is written and fsynced, given the old file's mode, and
renamed over the target; then the folder is fsynced so the rename itself survives a power cut.
Temporary files left by a crash are removed when the folder is next listed (`names.Listings`).
A symlinked sidecar is followed: its target is replaced and the link stays. The rename makes a
new inode, so hard links to a sidecar are split and owner and extended attributes reset.

Just before the rename the target is stat'ed again: if another program changed it since we read
it, `SidecarChanged` is raised and the caller merges again instead of overwriting that change.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from humanaes_desktop.library.xmp.names import TEMP_SUFFIX

log = logging.getLogger(__name__)

NEW_FILE_MODE = 0o644
_STALE_TEMP_S = 60.0  # a temporary file this old was left by a crash (ours are renamed at once)
_REPLACE_RETRIES = 5  # Windows refuses a rename while another program has the file open


@dataclass(frozen=True)
class Stamp:
    """A sidecar's cheap identity: a changed size or mtime means "read it again"."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> Stamp | None:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(info.st_size, info.st_mtime_ns)


class SidecarChanged(Exception):
    """The sidecar changed on disk between our read and our write; merge again."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_directory(directory: str) -> None:
    if sys.platform.startswith("win"):
        return  # Windows cannot open a directory for fsync; NTFS journals the rename
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp(path: str) -> None:
    """Delete one temporary file left by an interrupted write, if it is old enough."""
    with contextlib.suppress(OSError):
        if time.time() - os.stat(path).st_mtime > _STALE_TEMP_S:
            os.unlink(path)
            log.info("removed %s, left by an interrupted sidecar write", path)


def _replace(source: str, target: str) -> None:
    for attempt in range(_REPLACE_RETRIES):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == _REPLACE_RETRIES - 1 or not sys.platform.startswith("win"):
                raise
            time.sleep(0.1 * (attempt + 1))


def write_atomic(
    path: str,
    data: bytes,
    *,
    expect: Stamp | None,
    before_replace: Callable[[str], None] | None = None,
) -> Stamp:
    """Replace the file at `path` (its symlink target) with `data`; returns the new stamp.

    `expect` is the stamp the caller read (None: the file must not exist yet); a mismatch
    raises SidecarChanged and leaves the file alone. `before_replace(temp_path)` is a hook for
    tests that inject a crash or a concurrent edit at the worst moment.
    """
    target = os.path.realpath(path)
    directory, name = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if before_replace is not None:
            before_replace(temp)
        if Stamp.of(target) != expect:
            raise SidecarChanged(target)
        _replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)
    stamp = Stamp.of(target)
    assert stamp is not None  # we just renamed it there
    return stamp
