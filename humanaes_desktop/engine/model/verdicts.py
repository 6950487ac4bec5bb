"""The one-time self-checks' verdicts, kept on disk so a later process trusts an earlier check.

Prefix reuse and the attention swap each check themselves once against the model's plain code
(reuse/session.py, attention/check.py); at camera size that costs the first photo of a process
an extra language-model pass. A verdict only holds for what was checked, so it is keyed by
everything that could change the outcome: the model (repository, revision, weights hash), the
model's own code and config (a hash of its .py files and config.json), this application's
version and the source of its reuse and attention code, torch and transformers versions, the
device type and the dtype. Any change means a new key, so the checks run again.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from humanaes_desktop.engine.store.manifest import VerifiedFolder
from humanaes_desktop.engine.store.records import read_record, write_record
from humanaes_desktop.paths import data_dir

RECORD = "self-checks.json"
KEEP = 32  # most recent keys kept; older ones are dropped when a verdict is written
PREFIX_REUSE = "prefix_reuse"
_OUR_CODE = ("attention", "reuse")  # sub-packages of engine/model whose source a verdict covers


@dataclass(frozen=True)
class Verdict:
    """The outcome of one self-check."""

    ok: bool
    detail: str
    checked_at: float


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_code_hash(folder: Path) -> str:
    """A hash of the model folder's Python code and config.json."""
    return _digest([*folder.glob("*.py"), *folder.glob("config.json")])


def own_code_hash() -> str:
    """A hash of this application's reuse and attention code."""
    here = Path(__file__).resolve().parent
    return _digest([p for name in _OUR_CODE for p in (here / name).glob("*.py")])


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def verdict_key(verified: VerifiedFolder, device: str, dtype: str) -> str:
    """The key that says "same model, same code, same runtime" for this load."""
    parts = (
        verified.identity.key,
        f"model code {model_code_hash(verified.path)}",
        f"app {_version('humanaes-desktop')}+{own_code_hash()}",
        f"torch {_version('torch')}",
        f"transformers {_version('transformers')}",
        f"{device.split(':')[0]}/{dtype}",
    )
    return " | ".join(parts)


class VerdictStore:
    """Verdicts of one key in the user data dir's record."""

    def __init__(self, key: str, path: Path | None = None) -> None:
        self.key = key
        self.path = path or data_dir() / RECORD

    def get(self, check: str) -> Verdict | None:
        """The verdict recorded for `check`, or None when it has not run under this key."""
        entry = read_record(self.path).get(self.key, {}).get("checks", {}).get(check)
        if not isinstance(entry, dict):
            return None
        try:
            return Verdict(bool(entry["ok"]), str(entry["detail"]), float(entry["checked_at"]))
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, check: str, ok: bool, detail: str) -> Verdict:
        """Record the outcome of `check` under this key."""
        verdict = Verdict(ok, detail, time.time())
        data = read_record(self.path)
        entry = data.setdefault(self.key, {"checks": {}})
        entry.setdefault("checks", {})[check] = asdict(verdict)
        entry["updated_at"] = verdict.checked_at
        write_record(self.path, _newest(data, KEEP))
        return verdict


def _newest(data: dict, keep: int) -> dict:
    def updated(item: tuple) -> float:
        value = item[1]
        return float(value.get("updated_at", 0.0)) if isinstance(value, dict) else 0.0

    return dict(sorted(data.items(), key=updated, reverse=True)[:keep])
