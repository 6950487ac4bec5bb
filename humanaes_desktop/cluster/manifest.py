"""The manifest: which photos a cluster job should score, for which model and profile.

A JSON Lines file, readable without the cluster extra: one header line (what the photos lack an
assessment for: model identity and preprocessing profile; where they came from), then one line
per photo with the path the cluster reads, the path the library knows, the size and the
library's content fingerprint. A `--path-map FROM=TO` rewrites the start of the cluster path
(a NAS mounted elsewhere on the nodes); the library path is kept, and results are matched back
by fingerprint, never by path.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from humanaes_desktop.engine.assessment import ModelIdentity, PreprocessProfile
from humanaes_desktop.errors import UserError

FORMAT = "humanaes-cluster-manifest"
FORMAT_VERSION = 1


class ManifestError(UserError):
    """A manifest file that cannot be read, or an argument that cannot build one."""


@dataclass(frozen=True)
class PathMap:
    """Rewrites paths that start with `source` to start with `target` instead."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: str) -> PathMap:
        """`FROM=TO`, both non-empty (trailing slashes ignored)."""
        source, sep, target = text.partition("=")
        if not sep or not source or not target:
            raise ManifestError(
                f"--path-map wants FROM=TO, e.g. /home/me/photos=/mnt/nas; got {text!r}"
            )
        return cls(_strip_slash(source), _strip_slash(target))

    def apply(self, path: str) -> str | None:
        """The rewritten path, or None when `path` is not under `source` (whole components)."""
        if path == self.source:
            return self.target
        prefix = self.source if self.source.endswith("/") else self.source + "/"
        if path.startswith(prefix):
            return self.target.rstrip("/") + "/" + path[len(prefix) :]
        return None


def _strip_slash(path: str) -> str:
    return path if path == "/" else path.rstrip("/")


def map_path(path: str, maps: Iterable[PathMap]) -> str:
    """The first map that applies, else the path unchanged (as POSIX text: the nodes are Linux)."""
    posix = path.replace(os.sep, "/")
    for mapping in maps:
        mapped = mapping.apply(posix)
        if mapped is not None:
            return mapped
    return posix


@dataclass(frozen=True)
class ManifestEntry:
    """One photo to score."""

    path: str  # where the cluster reads it (after the path maps)
    library_path: str  # where the library knows it
    size: int
    fingerprint: str  # the library's content fingerprint (library/files.py)


@dataclass(frozen=True)
class ManifestHeader:
    """What every photo of the manifest lacks: an assessment by this model with this profile."""

    model: ModelIdentity
    profile: PreprocessProfile
    source: str  # the library file or folder the photos came from
    path_maps: tuple[PathMap, ...] = ()
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "model": asdict(self.model),
            "model_key": self.model.key,
            "profile": asdict(self.profile),
            "profile_key": self.profile.key,
            "source": self.source,
            "path_maps": [f"{m.source}={m.target}" for m in self.path_maps],
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], where: Path) -> ManifestHeader:
        if data.get("format") != FORMAT:
            raise ManifestError(f"{where} is not a HumanAes cluster manifest (no header line)")
        if data.get("version") != FORMAT_VERSION:
            raise ManifestError(
                f"{where} is a manifest of format version {data.get('version')}; this version "
                f"reads version {FORMAT_VERSION}: make it again with `humanaes cluster manifest`"
            )
        try:
            return cls(
                model=ModelIdentity(**data["model"]),
                profile=PreprocessProfile(**data["profile"]),
                source=str(data.get("source", "")),
                path_maps=tuple(PathMap.parse(m) for m in data.get("path_maps", [])),
                created_at=float(data.get("created_at", 0.0)),
            )
        except (KeyError, TypeError) as exc:
            raise ManifestError(f"{where}: the manifest header is incomplete ({exc})") from exc


def write_manifest(path: Path, header: ManifestHeader, entries: Iterable[ManifestEntry]) -> int:
    """Write the manifest atomically (a temporary file renamed over `path`); returns the count."""
    path = path.expanduser()
    count = 0
    try:
        handle = tempfile.NamedTemporaryFile(
            "w", dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False,
            encoding="utf-8",
        )  # fmt: skip
    except OSError as exc:
        raise ManifestError(f"cannot write the manifest {path}: {exc.strerror or exc}") from exc
    try:
        with handle:
            handle.write(json.dumps(header.to_json()) + "\n")
            for entry in entries:
                handle.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
                count += 1
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return count


def read_manifest(path: Path) -> tuple[ManifestHeader, list[ManifestEntry]]:
    """The header and the entries (one per fingerprint; later duplicates are dropped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ManifestError(f"cannot read the manifest {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path} is not a HumanAes cluster manifest (not text)") from exc
    rows = iter(_parse_lines(path, lines))
    first = next(rows, None)
    if first is None:
        raise ManifestError(f"{path} is empty; make it with `humanaes cluster manifest`")
    header = ManifestHeader.from_json(first, path)
    seen: set[str] = set()
    entries: list[ManifestEntry] = []
    for number, row in enumerate(rows, start=2):
        entry = _entry(row, path, number)
        if entry.fingerprint not in seen:
            seen.add(entry.fingerprint)
            entries.append(entry)
    return header, entries


def _parse_lines(path: Path, lines: list[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{path}, line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise ManifestError(f"{path}, line {number}: expected an object")
        yield value


def _entry(row: dict[str, Any], path: Path, number: int) -> ManifestEntry:
    try:
        return ManifestEntry(
            path=str(row["path"]),
            library_path=str(row.get("library_path", row["path"])),
            size=int(row["size"]),
            fingerprint=str(row["fingerprint"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{path}, line {number}: incomplete photo entry ({exc})") from exc
