"""A real SQLite 3.26.0 (the oldest we support: RHEL 8's) for tests, built from registry sources.

SQLite's 3.26.0 amalgamation ships inside the npm package sqlite3@4.0.6 (its deps/ folder), and
pysqlite3's source distribution on PyPI compiles an amalgamation into a Python DB-API module.
Built once per machine into a cache folder (about a minute of CPU, mostly sqlite3.c); `None`
when npm, a C compiler or the registries are not at hand, so callers can skip with the reason.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

VERSION = "3.26.0"
NPM_PACKAGE = "sqlite3@4.0.6"  # node-sqlite3, which bundles deps/sqlite-autoconf-3260000.tar.gz
PYSQLITE3 = "pysqlite3==0.5.4"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "humanaes-desktop-tests"
TARGET = CACHE / f"pysqlite3-sqlite-{VERSION}"

_why_not: list[str] = []


def why_unavailable() -> str:
    """Why `sqlite_3_26()` returned None (for a skip message)."""
    return "; ".join(_why_not) or "not tried"


def sqlite_3_26() -> ModuleType | None:
    """The DB-API module (like `sqlite3`) of a real SQLite 3.26.0, or None if it cannot be had."""
    if not (TARGET / "pysqlite3").is_dir():
        try:
            _build()
        except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            _why_not.append(f"building SQLite {VERSION} failed: {exc}")
            return None
    return _load()


def _run(command: list[str], cwd: Path, **env: str) -> None:
    subprocess.run(
        command,
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=900,
        env={**os.environ, **env},
    )


def _build() -> None:
    if shutil.which("npm") is None or shutil.which("cc") is None:
        raise OSError("npm and a C compiler are needed to build it")
    with tempfile.TemporaryDirectory(prefix="old-sqlite-") as scratch:
        work = Path(scratch)
        _run(["npm", "pack", NPM_PACKAGE, "--silent"], work)
        with tarfile.open(next(work.glob("sqlite3-*.tgz"))) as npm_tarball:
            inner = npm_tarball.extractfile("package/deps/sqlite-autoconf-3260000.tar.gz")
            with tarfile.open(fileobj=inner) as autoconf:
                autoconf.extractall(work, filter="data")
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        _run([*pip, "-d", str(work), PYSQLITE3], work)
        with tarfile.open(next(work.glob("pysqlite3-*.tar.gz"))) as sdist:
            sdist.extractall(work, filter="data")
        source = next(p for p in work.glob("pysqlite3-*") if p.is_dir())
        for name in ("sqlite3.c", "sqlite3.h"):
            shutil.copy(work / "sqlite-autoconf-3260000" / name, source / name)
        _run([sys.executable, "setup.py", "build_static"], source, CFLAGS="-O1")
        built = next((source / "build").glob("lib*/pysqlite3"))
        for module in (source / "pysqlite3").glob("*.py"):
            shutil.copy(module, built / module.name)
        staged = Path(tempfile.mkdtemp(prefix=".staging-", dir=_cache_root()))
        shutil.copytree(built, staged / "pysqlite3")
        try:
            staged.rename(TARGET)  # atomic: a concurrent build simply loses the race
        except OSError:
            shutil.rmtree(staged, ignore_errors=True)


def _cache_root() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE


def _load() -> ModuleType | None:
    sys.path.insert(0, str(TARGET))
    try:
        module = importlib.import_module("pysqlite3.dbapi2")
    except ImportError as exc:
        _why_not.append(f"the built module does not import: {exc}")
        return None
    finally:
        sys.path.remove(str(TARGET))
    if module.sqlite_version != VERSION:
        _why_not.append(f"pysqlite3 here is SQLite {module.sqlite_version}, not {VERSION}")
        return None
    return module


def python_code(body: str) -> str:
    """Python source that runs `body` with `sqlite3` (SQLAlchemy's driver too) being 3.26.0."""
    prelude = (
        "import sys\n"
        f"sys.path.insert(0, {str(TARGET)!r})\n"
        "import pysqlite3, pysqlite3.dbapi2\n"
        "sys.modules['sqlite3'] = pysqlite3\n"
        "sys.modules['sqlite3.dbapi2'] = pysqlite3.dbapi2\n"
        "import sqlite3\n"
        f"assert sqlite3.sqlite_version == {VERSION!r}, sqlite3.sqlite_version\n"
    )
    return prelude + body
