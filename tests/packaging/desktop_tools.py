"""The freedesktop validators the packaging tests run, and where the packaging files are.

Where a tool is missing the test is skipped on a developer's machine, but fails in CI
(CI=true), where .ci/run installs Debian's desktop-file-utils and appstream.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from humanaes_desktop.identity import APP_ID

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP_FILE = LINUX / f"{APP_ID}.desktop"
METAINFO_FILE = LINUX / f"{APP_ID}.metainfo.xml"
INSTALL_SCRIPT = LINUX / "install-desktop.sh"


def require_tool(name: str) -> str:
    """The tool's path; skips (fails in CI) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install desktop-file-utils appstream)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def validate_metainfo(path: Path) -> subprocess.CompletedProcess:
    """`appstreamcli validate --no-net`: fails on errors and warnings, not on infos."""
    return run_tool(require_tool("appstreamcli"), "validate", "--no-net", str(path))


def problems(result: subprocess.CompletedProcess) -> list[str]:
    """appstreamcli's error and warning lines (E:/W:), ignoring infos and pedantic notes."""
    return [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))]


def install_desktop(prefix: Path, app_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, APP_DIR=str(app_dir) if app_dir else "")
    return subprocess.run(
        ["sh", str(INSTALL_SCRIPT), str(prefix)], env=env, capture_output=True, text=True
    )
