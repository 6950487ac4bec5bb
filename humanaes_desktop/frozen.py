"""Start-up of the frozen (PyInstaller) app: what must be settled before transformers is imported.

transformers reads `HF_MODULES_CACHE` once, when it is imported, and copies every model folder's
code into `<cache>/transformers_modules/` before importing it. In a bundle that folder must be
writable and per user, never inside the bundle (which may be read-only, is shared by every user
of the machine and is replaced by each update). The bundle's entry scripts call
`prepare_frozen_runtime()` first; in a plain Python install it does nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from humanaes_desktop.paths import cache_dir

log = logging.getLogger(__name__)

MODULES_CACHE_ENV = "HF_MODULES_CACHE"
MODULES_CACHE_NAME = "hf-modules"


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The bundle's own files (PyInstaller's `_MEIPASS`), or None outside a bundle."""
    folder = getattr(sys, "_MEIPASS", None)
    return Path(folder) if folder else None


def modules_cache_dir() -> Path:
    """The per-user folder for transformers' copies of model code (platformdirs cache)."""
    folder = cache_dir() / MODULES_CACHE_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _inside(path: Path, root: Path | None) -> bool:
    if root is None:
        return False
    return path.resolve().is_relative_to(root.resolve())


def prepare_frozen_runtime(frozen: bool | None = None) -> Path | None:
    """In a bundle, point HF_MODULES_CACHE at the per-user folder; returns it (None unfrozen).

    A value the user set is kept unless it lies inside the bundle. Must run before anything
    imports transformers: afterwards the setting has no effect, so that is an error.
    """
    if not (is_frozen() if frozen is None else frozen):
        return None
    if "transformers" in sys.modules:
        raise RuntimeError("prepare_frozen_runtime() must run before transformers is imported")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    chosen = os.environ.get(MODULES_CACHE_ENV)
    if chosen and not _inside(Path(chosen), bundle_dir()):
        return Path(chosen)
    if chosen:
        log.warning("%s=%s lies inside the bundle; using the user cache", MODULES_CACHE_ENV, chosen)
    folder = modules_cache_dir()
    os.environ[MODULES_CACHE_ENV] = str(folder)
    return folder
