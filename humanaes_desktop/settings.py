"""The desktop app's user settings: a small JSON file in the user config directory. No Qt.

Reading is forgiving on purpose: a settings file from an older or newer version, a value out of
range or a file truncated by a crash must never stop the app from starting. Each problem is
logged and the affected value falls back to its default.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.profiles import PROFILE_MODES
from humanaes_desktop.paths import config_dir

log = logging.getLogger(__name__)

SETTINGS_FILE_NAME = "settings.json"

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
DTYPES: tuple[str, ...] = ("auto", "fp32", "fp16", "bf16")
ANNOTATION_MODES: tuple[str, ...] = ("off", "on", "on_demand")
MAX_TILES_RANGE: tuple[int, int] = (1, 12)


def default_settings_path() -> Path:
    """Where settings live unless a caller says otherwise: <config dir>/settings.json."""
    return config_dir() / SETTINGS_FILE_NAME


@dataclass
class AppSettings:
    """Everything the user chooses in Settings. Plain data; `save()` writes it atomically."""

    model_dir: str | None = None
    model_trusted: bool = False  # the user accepted a folder with unknown (unverified) code
    device: str = "auto"
    dtype: str = "auto"
    max_tiles: int = 12
    # "auto" (quick first on a CPU, full only on a GPU), "quick_first", "full" or "quick".
    profile_mode: str = "auto"
    annotation: str = "on_demand"  # "off" | "on" | "on_demand"
    fast_decode: bool = False
    thumbnail_cache_mb: int = 512
    model_setup_offered: bool = False  # the first-run model setup was shown once: never nag again
    burst_gap_s: float = 2.0  # culling: longest pause between two frames of one burst
    # Where this object was loaded from; save() writes back there. Not part of the file.
    path: Path | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | str | None = None) -> AppSettings:
        """Read settings; a missing, corrupt or partly invalid file yields defaults (logged)."""
        target = Path(path) if path is not None else default_settings_path()
        settings = cls(path=target)
        raw = _read_json_object(target)
        for f in fields(cls):
            if f.name == "path" or f.name not in raw:
                continue
            value = _validated(f.name, raw[f.name])
            if value is _INVALID:
                log.warning("settings %s: ignoring invalid %s=%r", target, f.name, raw[f.name])
                continue
            setattr(settings, f.name, value)
        unknown = sorted(set(raw) - {f.name for f in fields(cls)})
        if unknown:
            log.info("settings %s: ignoring unknown keys %s", target, unknown)
        return settings

    def save(self, path: Path | str | None = None) -> Path:
        """Write settings as JSON (atomically: a crash never leaves half a file). Returns the path."""
        target = Path(path) if path is not None else (self.path or default_settings_path())
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(self.to_json_dict(), indent=2, sort_keys=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload + "\n")
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self.path = target
        return target

    def to_json_dict(self) -> dict[str, Any]:
        """The file's content: every setting, without the load path."""
        data = asdict(self)
        data.pop("path")
        return data

    def profile(self) -> PreprocessProfile:
        """The preprocessing profile these settings ask for (recorded with every result)."""
        return PreprocessProfile(
            max_tiles=self.max_tiles, decode="fast" if self.fast_decode else "exact"
        )


_INVALID = object()


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("settings %s unreadable (%s); using defaults", path, exc)
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        log.warning("settings %s is corrupt (%s); using defaults", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("settings %s is not a JSON object; using defaults", path)
        return {}
    return data


def _validated(name: str, value: Any) -> Any:
    """The value if it is acceptable for setting `name`, else _INVALID."""
    if name == "model_dir":
        return value if value is None or (isinstance(value, str) and value) else _INVALID
    if name in ("model_trusted", "fast_decode", "model_setup_offered"):
        return value if isinstance(value, bool) else _INVALID
    choices = {
        "device": DEVICES,
        "dtype": DTYPES,
        "annotation": ANNOTATION_MODES,
        "profile_mode": PROFILE_MODES,
    }
    if name in choices:
        return value if value in choices[name] else _INVALID
    if name == "max_tiles":
        low, high = MAX_TILES_RANGE
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return value if ok else _INVALID
    if name == "thumbnail_cache_mb":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return value if ok else _INVALID
    if name == "burst_gap_s":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if ok and 0.1 <= value <= 60.0 else _INVALID
    return _INVALID
