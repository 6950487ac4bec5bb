"""The built bundle (`make dist`) works frozen: self-test, both programs, the GUI offscreen, size.

Runs only with HUMANAES_TEST_BUNDLE=1: `make test-bundle` builds the bundle first (~6 min on two
cores, ~1.5 GB of disk with the build folder); CI runs it. The programs run with a bare
environment (no virtual environment, no PYTHONPATH), as on a user's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from desktop_tools import ROOT, problems, require_tool, run_tool

from humanaes_desktop.identity import APP_ID
from tests.support.photos import sample_photo

pytestmark = pytest.mark.skipif(
    not os.environ.get("HUMANAES_TEST_BUNDLE"),
    reason="checks the built bundle; run `make test-bundle` (builds it first)",
)

BUNDLE = ROOT / "dist" / "humanaes-desktop"
INTERNAL = BUNDLE / "_internal"
SELF_TEST_PREFIX = "humanaes-desktop self-test:"


@pytest.fixture(scope="module", autouse=True)
def built_bundle():
    if not (BUNDLE / "humanaes-desktop").is_file():
        pytest.fail(f"no bundle in {BUNDLE}: run `make dist` (or `make test-bundle`)")


def bare_env(tmp_path, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "HUMANAES_DATA_DIR": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        **extra,
    }


def frozen(program: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BUNDLE / program), *args],
        env=env,
        cwd=env["HOME"] if os.path.isdir(env["HOME"]) else None,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_frozen_self_test_passes_with_the_model_code_in_the_user_cache(tmp_path):
    env = bare_env(tmp_path)
    env.pop("QT_QPA_PLATFORM")  # it must choose offscreen by itself
    result = frozen("humanaes-desktop", "--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{SELF_TEST_PREFIX} OK "), line
    facts = dict(item.split("=", 1) for item in line.split() if "=" in item)
    assert facts["frozen"] == "yes"
    assert facts["timm"] == "stand-in"  # the bundle has no real timm
    assert facts["qpa"] == "offscreen"
    cache = tmp_path / "data" / "cache" / "hf-modules"  # prepare_frozen_runtime's choice
    assert facts["modules_cache"] == str(cache)
    assert facts["class"].startswith("transformers_modules.humanaes_self_test.")
    assert (cache / "transformers_modules" / "humanaes_self_test").is_dir()
    assert not list(INTERNAL.glob("transformers_modules"))  # nothing written into the bundle


@pytest.fixture(scope="module")
def frozen_model(tmp_path_factory) -> str:
    """A tiny synthetic model folder, built by the frozen CLI."""
    tmp_path = tmp_path_factory.mktemp("frozen_model")
    model = tmp_path / "tiny"
    built = frozen(
        "humanaes", "model", "synth", "--preset", "tiny", "--out", str(model),
        env=bare_env(tmp_path),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return str(model)


def test_the_frozen_cli_finds_its_commands_and_scores_a_photo(tmp_path, frozen_model):
    env = bare_env(tmp_path)
    help_text = frozen("humanaes", "--help", env=env)
    assert help_text.returncode == 0, help_text.stderr
    for command in ("model", "score", "watch", "library"):
        assert command in help_text.stdout  # found by pkgutil inside the frozen archive
    photo = str(sample_photo("rocket.jpg"))
    scored = frozen(
        "humanaes", "score", photo, "--model", frozen_model, "--max-tiles", "2", env=env
    )
    assert scored.returncode == 0, scored.stderr
    (result,) = [json.loads(line) for line in scored.stdout.splitlines()]
    assert result["synthetic"] is True
    assert 0.0 <= result["overall"] <= 1.0 and len(result["dimensions"]) == 12


def test_frozen_watch_scores_a_folder_and_the_frozen_gui_shows_it(tmp_path, frozen_model):
    # Frozen end to end: the watcher and the scoring worker (the model's code through
    # trust_remote_code, SQLite), then the window offscreen with thumbnails and the breakdown.
    from PIL import Image

    env = bare_env(tmp_path)
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.png", "camera.png"):  # square 512 px: one tile each
        shutil.copy(sample_photo(name), photos / name)
    library = str(tmp_path / "lib.sqlite3")
    watched = frozen(
        "humanaes", "watch", str(photos), "--db", library, "--model", frozen_model, "--once",
        env=env,
    )  # fmt: skip
    assert watched.returncode == 0, watched.stderr
    assert "2 scored, 0 failed" in watched.stderr
    shot = tmp_path / "grid.png"
    result = frozen(
        "humanaes-desktop", "--library", library, "--screenshot", str(shot), "--select", "1",
        "--size", "1280x800", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Image.open(shot) as picture:
        assert picture.size == (1280, 800)
        assert len(picture.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 1000


def test_the_bundle_leaves_out_what_it_must_not_carry():
    top_level = {path.name.lower() for path in INTERNAL.iterdir()}
    for name in ("ray", "pyarrow", "matplotlib", "timm", "torchvision", "pytest", "tensorboard"):
        assert name not in top_level
    assert not list(INTERNAL.glob("nvidia*"))  # the CPU build: no CUDA libraries
    assert not list(INTERNAL.rglob("libcudart*"))


def test_opencv_brings_its_face_cascades_when_the_app_uses_it():
    import importlib.util

    if importlib.util.find_spec("cv2") is None:
        pytest.skip("OpenCV is not a dependency of this build")
    assert (INTERNAL / "cv2" / "data" / "haarcascade_frontalface_default.xml").is_file()
    assert (INTERNAL / "cv2" / "data" / "haarcascade_eye.xml").is_file()


def test_the_bundle_is_within_ten_percent_of_the_recorded_size():
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import bundle_size
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    size, _files = bundle_size.folder_size(BUNDLE)
    recorded = bundle_size.recorded_size(bundle_size.README.read_text(encoding="utf-8"))
    assert bundle_size.size_problem(size, recorded) is None


def test_the_bundle_installs_its_menu_entry_and_links_its_programs(tmp_path):
    prefix = tmp_path / "prefix"
    result = subprocess.run(
        ["sh", str(BUNDLE / "install-desktop.sh"), str(prefix)],
        env=bare_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (prefix / "share" / "applications" / f"{APP_ID}.desktop").is_file()
    for program in ("humanaes-desktop", "humanaes"):
        assert (prefix / "bin" / program).resolve() == (BUNDLE / program).resolve()
    linked = subprocess.run(
        [str(prefix / "bin" / "humanaes"), "--help"], capture_output=True, text=True, timeout=120
    )
    assert linked.returncode == 0, linked.stderr  # runs through the symlink, outside the bundle
    tree = run_tool(require_tool("appstreamcli"), "validate-tree", "--no-net", str(prefix))
    assert tree.returncode == 0 and problems(tree) == [], tree.stdout


def test_the_archive_holds_the_bundle():
    (archive,) = sorted(BUNDLE.parent.glob("humanaes-desktop-*.tar.zst"))
    listing = subprocess.run(
        ["tar", "--zstd", "-tf", str(archive)], capture_output=True, text=True, timeout=300
    )
    assert listing.returncode == 0, listing.stderr
    names = set(listing.stdout.splitlines())
    assert {"humanaes-desktop/humanaes-desktop", "humanaes-desktop/humanaes"} <= names
