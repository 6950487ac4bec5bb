"""Fixtures of the cluster tests: the archive-like photo set, a library of it, a local Ray.

Ray runs for real: `ray.init(address="local", num_cpus=2)` once per test module, its session folder
inside pytest's tmp folder (short enough for the AF_UNIX socket paths Ray puts under it) and
token auth off (a process-private test cluster; nothing is written to ~/.ray). The actors ask
for half a CPU each, so two of them plus the read and write tasks fit on two CPUs and the
all-CPUs-held hang (ray#44687) cannot happen.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from humanaes_desktop.library import Library
from tests.support.photo_set import PhotoSet, make_photo_set

# Ray's longest socket path is ~62 characters below its temp dir; AF_UNIX allows 107.
MAX_RAY_TEMP_DIR = 40


@pytest.fixture(scope="module")
def cluster_data_dir(tmp_path_factory) -> Path:
    """One user data dir per module: Ray's workers inherit it when Ray starts."""
    path = tmp_path_factory.mktemp("cluster_data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUMANAES_DATA_DIR", str(path))
        yield path


def short_temp_dir(tmp_path_factory) -> tuple[Path, bool]:
    """A folder for Ray's session files under pytest's tmp folder, or a short one in /tmp
    when that path is too long for Ray's sockets; (folder, remove it afterwards?)."""
    candidate = tmp_path_factory.mktemp("ray")
    if len(str(candidate)) <= MAX_RAY_TEMP_DIR:
        return candidate, False
    return Path(tempfile.mkdtemp(prefix="hae-ray-", dir="/tmp")), True


@pytest.fixture(scope="module")
def local_ray(cluster_data_dir, tmp_path_factory):
    """A real local Ray with 2 CPUs for the tests of one module (stopped after it: an idle Ray
    holds ~1-2 GB, which the rest of the suite should not pay for)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install '.[cluster]'")
    temp_dir, remove = short_temp_dir(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", "disabled")
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            _temp_dir=str(temp_dir),
            log_to_driver=False,
        )
        yield ray
        ray.shutdown()
    if remove:
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def photo_set(tmp_path_factory) -> PhotoSet:
    """36 distinct photos, a corrupt one, an empty one and a copy (39 files)."""
    return make_photo_set(tmp_path_factory.mktemp("archive") / "photos")


def open_library_of(path: Path, folder: Path) -> Library:
    """A library at `path` watching and scanned over `folder`."""
    library = Library.open(path)
    library.scan_folder(library.add_folder(folder).id)
    return library
