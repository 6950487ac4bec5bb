"""`humanaes-desktop --self-test`: show that this installation can score a photo, offscreen.

Made for a freshly built bundle (CI runs it on every build) and for a user's "does it work
here?". It runs these stages in order and names the one that failed:

- imports: every module the model's own code imports (engine/model/remote_imports.py);
- qt: the offscreen platform, Qt's JPEG reader (thumbnails), its SVG renderer and icon engine;
- build: a tiny synthetic model in a temporary folder;
- load: that folder through the verified path (manifest check, then trust_remote_code);
- score: the full assessment of the sample photo shipped in the package.

It prints exactly one line on stdout, `humanaes-desktop self-test: OK key=value ...` or
`humanaes-desktop self-test: FAILED stage=NAME: reason`, and returns 0 or 1. Its files go to a
temporary folder (HUMANAES_DATA_DIR points there), except transformers' copy of the model code in
HF_MODULES_CACHE, made under one fixed folder name so repeated runs replace it.
"""

from __future__ import annotations

import inspect
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from humanaes_desktop.frozen import bundle_dir, is_frozen
from humanaes_desktop.identity import ICON_RESOURCE, resource_path
from humanaes_desktop.paths import DATA_DIR_ENV

log = logging.getLogger(__name__)

PREFIX = "humanaes-desktop self-test:"
SAMPLE_PHOTO = "sample_photo.jpg"  # Grace Hopper, public domain (tests/data/photos/SOURCES.md)
MODEL_FOLDER_NAME = "humanaes_self_test"  # fixed: transformers caches the code under this name
# One 448-px tile: the self-test shows that scoring works here, not how fast (13 tiles of the
# sample photo at the default profile take ~15x longer through the same code).
MAX_TILES = 1


class SelfTestError(Exception):
    """One stage of the self-test failed; the message says which and why."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"stage={stage}: {reason}")
        self.stage = stage


def _stage(name: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except SelfTestError:
        raise
    except Exception as exc:  # every failure becomes the one line a script reads
        log.debug("self-test stage %s failed", name, exc_info=True)
        raise SelfTestError(name, f"{type(exc).__name__}: {exc}") from exc


def _check_qt(photo: Path, icon: Path) -> str:
    from humanaes_desktop.ui.qt_check import QtCheckError, check_qt

    try:
        return check_qt(photo, icon)
    except QtCheckError as exc:
        raise SelfTestError("qt", str(exc)) from exc


def _modules_cache() -> Path:
    from transformers.utils import HF_MODULES_CACHE

    return Path(HF_MODULES_CACHE).resolve()


def _check_class_location(model: Any) -> str:
    """The model class came from transformers' per-user copy, never from inside the bundle."""
    name = f"{type(model).__module__}.{type(model).__qualname__}"
    source = Path(inspect.getfile(type(model))).resolve()
    if not source.is_relative_to(_modules_cache()):
        raise SelfTestError("load", f"{name} was imported from {source}, not HF_MODULES_CACHE")
    inside = bundle_dir()
    if inside is not None and source.is_relative_to(inside.resolve()):
        raise SelfTestError("load", f"the model code ran from inside the bundle ({source})")
    return name


def _score_sample(work: Path) -> dict[str, str]:
    from humanaes_desktop.engine.assessment import PreprocessProfile
    from humanaes_desktop.engine.images.loading import load_pixels
    from humanaes_desktop.engine.model.adapter import HumanAesExpert
    from humanaes_desktop.engine.synthetic import build_synthetic_model

    folder = _stage("build", lambda: build_synthetic_model(work / MODEL_FOLDER_NAME, "tiny"))
    engine = _stage("load", lambda: HumanAesExpert.load(folder, device="auto"))
    model_class = _check_class_location(engine.model)
    profile = PreprocessProfile(max_tiles=MAX_TILES)
    photo = resource_path(SAMPLE_PHOTO)
    result = _stage("score", lambda: engine.assess(load_pixels(photo, profile), profile=profile))
    return {
        "overall": f"{result.overall:.4f}",
        "level": result.level,
        "dimensions": str(len(result.dimensions)),
        "tiles": str(result.tiles),
        "model": engine.identity.repo,
        "class": model_class,
        "device": f"{result.device}/{result.dtype}",
    }


def run_self_test() -> dict[str, str]:
    """All stages; the facts of the OK line (raises SelfTestError)."""
    from humanaes_desktop.engine.model.remote_imports import check_remote_imports

    start = time.perf_counter()
    imports = _stage("imports", check_remote_imports)
    photo, icon = resource_path(SAMPLE_PHOTO), resource_path(ICON_RESOURCE)
    platform = _stage("qt", lambda: _check_qt(photo, icon))
    saved = os.environ.get(DATA_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="humanaes-self-test-") as temporary:
        work = Path(temporary)
        # Verification records, model aliases and caches stay out of the user's data.
        os.environ[DATA_DIR_ENV] = str(work / "data")
        try:
            facts = _score_sample(work)
        finally:
            if saved is None:
                os.environ.pop(DATA_DIR_ENV, None)
            else:
                os.environ[DATA_DIR_ENV] = saved
    return {
        "frozen": "yes" if is_frozen() else "no",
        **facts,
        "timm": imports.get("timm", "?"),
        "flash_attn": imports.get("flash_attn", "?"),
        "imports": str(len(imports)),
        "qpa": platform,
        "seconds": f"{time.perf_counter() - start:.1f}",
        "modules_cache": str(_modules_cache()),
    }


def main() -> int:
    """Run the self-test, print its one line; 0 when every stage passed."""
    if not os.environ.get("QT_QPA_PLATFORM"):  # a platform the user names is checked instead
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        facts = run_self_test()
    except SelfTestError as exc:
        print(f"{PREFIX} FAILED {exc}", flush=True)
        return 1
    print(f"{PREFIX} OK " + " ".join(f"{k}={v}" for k, v in facts.items()), flush=True)
    return 0
