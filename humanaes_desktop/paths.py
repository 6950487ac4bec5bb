"""Where the application keeps its files: the single place every layer asks.

All three roots derive from platformdirs for "humanaes-desktop". Setting the environment variable
HUMANAES_DATA_DIR moves all of them under that one folder (tests point it at a tmp_path, and a
portable install can keep everything beside the program). No Qt here: every layer may import it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "humanaes-desktop"
DATA_DIR_ENV = "HUMANAES_DATA_DIR"


def _override() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser().resolve() if value else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Persistent user data: libraries, installed models, verification records (created on demand)."""
    root = _override()
    return _ensure(root if root else Path(platformdirs.user_data_dir(APP_NAME)))


def cache_dir() -> Path:
    """Disposable data: thumbnails, benchmark models. Safe to delete at any time."""
    root = _override()
    return _ensure(root / "cache" if root else Path(platformdirs.user_cache_dir(APP_NAME)))


def config_dir() -> Path:
    """User settings."""
    root = _override()
    return _ensure(root / "config" if root else Path(platformdirs.user_config_dir(APP_NAME)))


def models_dir() -> Path:
    """Where downloaded models are installed, one sub-folder per model."""
    return _ensure(data_dir() / "models")
