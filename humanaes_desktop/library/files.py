"""File-system helpers of the library: walking a folder tree, fingerprints, path conversions."""

from __future__ import annotations

import hashlib
import logging
import os
import stat as stat_module
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import NamedTuple

from humanaes_desktop.library.formats import is_candidate_path

log = logging.getLogger(__name__)

FINGERPRINT_CHUNK = 64 * 1024


class FileSeen(NamedTuple):
    """A file found on disk: where it is and its cheap identity (size + mtime).

    A NamedTuple: a rescan makes one per file, and a frozen dataclass cost ~3x as much to make.
    """

    rel_path: str  # POSIX-style, relative to the watched folder
    abs_path: str
    size: int
    mtime: float


def absolute_path(folder_path: str, rel_path: str) -> str:
    """The file-system path of an image stored as (folder, POSIX relative path)."""
    return os.path.join(folder_path, *rel_path.split("/"))


def relative_posix(folder_path: str, abs_path: str) -> str:
    """The POSIX-style path of `abs_path` inside `folder_path`."""
    return PurePosixPath(*os.path.relpath(abs_path, folder_path).split(os.sep)).as_posix()


def is_inside(path: str, folder_path: str) -> bool:
    """True if `path` is `folder_path` itself or lies below it (purely lexical)."""
    folder = os.path.join(folder_path, "")
    return path == folder_path or path.startswith(folder)


def fingerprint(path: str, size: int | None = None) -> str:
    """A fast content hash: blake2b of the size and the first and last 64 KiB.

    Cheap enough for 100k files, and stable across renames and moves, which is all it is for.
    """
    with open(path, "rb") as handle:
        if size is None:
            size = os.fstat(handle.fileno()).st_size
        head = handle.read(FINGERPRINT_CHUNK)
        tail = b""
        if size > 2 * FINGERPRINT_CHUNK:
            handle.seek(size - FINGERPRINT_CHUNK)
            tail = handle.read(FINGERPRINT_CHUNK)
        elif size > FINGERPRINT_CHUNK:
            tail = handle.read()
    return _digest(size, head, tail)


def fingerprint_bytes(data: bytes) -> str:
    """`fingerprint` of a file whose whole content is `data` (a cluster job has the bytes)."""
    size = len(data)
    tail = data[-FINGERPRINT_CHUNK:] if size > 2 * FINGERPRINT_CHUNK else data[FINGERPRINT_CHUNK:]
    return _digest(size, data[:FINGERPRINT_CHUNK], tail)


def _digest(size: int, head: bytes, tail: bytes) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(size.to_bytes(8, "little"))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()


def stat_file(abs_path: str, folder_path: str) -> FileSeen | None:
    """Stat one candidate file; None if it is gone, not a regular file or not an image name."""
    if not is_candidate_path(abs_path):
        return None
    try:
        info = os.stat(abs_path)
    except OSError:
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    return FileSeen(relative_posix(folder_path, abs_path), abs_path, info.st_size, info.st_mtime)


def walk_folder(folder_path: str) -> Iterator[FileSeen]:
    """Every candidate image file below `folder_path`, following symlinks without looping.

    Hidden directories are skipped; each real directory is visited once (by device + inode), so
    a symlink pointing back up the tree ends the recursion instead of hanging the scan.
    """
    visited: set[tuple[int, int]] = set()
    stack = [(folder_path, "")]
    while stack:
        directory, rel_prefix = stack.pop()
        try:
            info = os.stat(directory)
        except OSError as exc:
            log.warning("cannot read %s: %s", directory, exc)
            continue
        if (info.st_dev, info.st_ino) in visited:
            continue
        visited.add((info.st_dev, info.st_ino))
        yield from _scan_directory(directory, rel_prefix, stack)


def _scan_directory(directory: str, rel_prefix: str, stack: list) -> Iterator[FileSeen]:
    try:
        entries = list(os.scandir(directory))
    except OSError as exc:
        log.warning("cannot list %s: %s", directory, exc)
        return
    for entry in entries:
        rel_path = f"{rel_prefix}{entry.name}"
        try:
            if entry.is_dir():  # follows symlinks; loops are cut by the visited set
                if not entry.name.startswith("."):
                    stack.append((entry.path, rel_path + "/"))
                continue
            if not is_candidate_path(entry.name) or not entry.is_file():
                continue
            info = entry.stat()
        except OSError as exc:  # vanished mid-scan, or a dangling symlink
            log.debug("skipping %s: %s", entry.path, exc)
            continue
        yield FileSeen(rel_path, entry.path, info.st_size, info.st_mtime)
