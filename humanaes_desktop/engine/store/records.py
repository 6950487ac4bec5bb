"""Small JSON records in the user data dir: read leniently, written atomically.

A damaged or missing record only means "work it out again" (hash, measure, check), so reading
never fails; a write goes to a temporary file that replaces the record in one rename, so a
crash or a concurrent writer never leaves half a file (a lost race only costs a redo).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read_record(path: Path) -> dict[str, Any]:
    """The record's contents; {} when it is missing, unreadable or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable record %s: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("ignoring record %s: not a JSON object", path)
        return {}
    return data


def write_record(path: Path, data: dict[str, Any]) -> None:
    """Replace the record with `data` atomically (temporary file + rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
