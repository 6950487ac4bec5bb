"""Where models live and what we remember about them.

Two small JSON records in the user data dir (see humanaes_desktop.paths):
- verified weights: for each model folder (absolute path) and weights file, the SHA-256 that was
  fully hashed once plus a stat stamp (size, mtime, ctime, inode). A later load whose stamp is
  unchanged skips re-hashing the 1.9 GB file. ctime cannot be set back by ordinary programs
  (os.utime changes it), so restoring the mtime after an edit does not fool the shortcut.
- trusted folders: folders the user explicitly trusted (no known manifest); all their file hashes,
  so a later change is detected and refused.
Writes are atomic (temp file + rename); a lost race only costs a re-hash.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from humanaes_desktop.engine.store.records import read_record, write_record
from humanaes_desktop.paths import data_dir, models_dir

log = logging.getLogger(__name__)

WEIGHTS_RECORD = "verified-weights.json"
TRUSTED_RECORD = "trusted-folders.json"
_lock = threading.Lock()


@dataclass(frozen=True)
class FileStamp:
    """What stat() says about a file; equal stamps mean "not touched since we hashed it"."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def folder_key(folder: Path) -> str:
    """Records are keyed by the absolute, symlink-resolved folder path."""
    return str(Path(folder).expanduser().resolve())


def _record_path(name: str) -> Path:
    return data_dir() / name


def _read(name: str) -> dict[str, Any]:
    # A damaged record only means "hash again"; it must not block loading a model.
    return read_record(_record_path(name))


def _write(name: str, data: dict[str, Any]) -> None:
    write_record(_record_path(name), data)


def known_weights_hash(folder: Path, file_name: str) -> str | None:
    """The recorded SHA-256 of a weights file if its stamp is unchanged since it was hashed."""
    with _lock:
        entry = _read(WEIGHTS_RECORD).get(folder_key(folder), {}).get(file_name)
    if not entry:
        return None
    try:
        stamp = FileStamp.of(Path(folder) / file_name)
    except OSError:
        return None
    recorded = FileStamp(entry["size"], entry["mtime_ns"], entry["ctime_ns"], entry["inode"])
    return entry["sha256"] if stamp == recorded else None


def remember_weights_hash(folder: Path, file_name: str, sha256: str) -> None:
    """Record a weights file's full hash with its current stamp."""
    stamp = FileStamp.of(Path(folder) / file_name)
    with _lock:
        data = _read(WEIGHTS_RECORD)
        data.setdefault(folder_key(folder), {})[file_name] = {"sha256": sha256, **asdict(stamp)}
        _write(WEIGHTS_RECORD, data)


def trusted_hashes(folder: Path) -> dict[str, str] | None:
    """All file hashes recorded when the user trusted this folder, or None if never trusted."""
    with _lock:
        entry = _read(TRUSTED_RECORD).get(folder_key(folder))
    return dict(entry["files"]) if entry else None


def trust_folder(folder: Path, hashes: dict[str, str]) -> None:
    """Remember a folder the user trusts, with the hashes of every file it holds now."""
    with _lock:
        data = _read(TRUSTED_RECORD)
        data[folder_key(folder)] = {"trusted_at": time.time(), "files": dict(hashes)}
        _write(TRUSTED_RECORD, data)


def forget_folder(folder: Path) -> bool:
    """Drop every record about a folder (trust and weights hashes); True if there was any."""
    key = folder_key(folder)
    found = False
    with _lock:
        for name in (TRUSTED_RECORD, WEIGHTS_RECORD):
            data = _read(name)
            if data.pop(key, None) is not None:
                found = True
                _write(name, data)
    return found


def trusted_folders() -> list[Path]:
    """Folders the user has trusted, as recorded."""
    with _lock:
        return [Path(k) for k in sorted(_read(TRUSTED_RECORD))]


def installed_model_folders() -> list[Path]:
    """Model folders installed in the user data dir (downloads land here), sorted by name."""
    root = models_dir()
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
