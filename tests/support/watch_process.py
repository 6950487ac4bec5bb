"""Helpers for the `humanaes watch` subprocess tests: a photo folder, the process, its database.

Waiting on the process's progress is `tests.support.waiting.wait_until(..., proc=proc)`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("astronaut.png", "camera.png", "chelsea.png", "coffee.png", "grace_hopper.jpg")


def make_photo_folder(folder: Path, photos: Path, count: int = 7) -> list[str]:
    """`count` distinct, small photos derived from the shared ones, plus truncated.jpg.

    Each file differs in content (size or crop), so none is mistaken for a moved copy of another.
    Returns the good files' names.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        with Image.open(photos / SOURCES[i % len(SOURCES)]) as image:
            image = image.convert("RGB")
            side = 256 + 32 * i
            image.thumbnail((side, side))
            name = f"shot_{i:02d}.jpg"
            image.save(folder / name, quality=90)
        names.append(name)
    data = (photos / "rocket.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])  # header fine, data cut
    return names


def make_wide_photo_folder(folder: Path, photos: Path, count: int = 5) -> list[str]:
    """`count` distinct 2:1 photos (which the full profile at --max-tiles 2 feeds as two tiles
    and a thumbnail, the quick one as one tile), plus truncated.jpg; returns the good names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        with Image.open(photos / SOURCES[i % len(SOURCES)]) as image:
            width = 320 + 32 * i
            name = f"wide_{i:02d}.jpg"
            image.convert("RGB").resize((width, width // 2)).save(folder / name, quality=90)
        names.append(name)
    data = (photos / "rocket.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])
    return names


def watch_command(folder: Path, db: Path, model: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "humanaes_desktop",
        "watch",
        str(folder),
        "--db",
        str(db),
        "--model",
        str(model),
        "--max-tiles",
        "2",
        *extra,
    ]


def start_watch(args: list[str], data_dir: Path, log_path: Path) -> subprocess.Popen:
    """Start `humanaes watch` with its output going to log_path (read while it runs)."""
    env = dict(os.environ)
    env.update(
        HUMANAES_DATA_DIR=str(data_dir),  # settings and model records stay in the test's tmp
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        OMP_NUM_THREADS="1",  # the machine is shared; one thread keeps the tiny model honest
        PYTHONPATH=str(REPO_ROOT),
    )
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it; closed when it exits
    try:
        return subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


@contextmanager
def running_watch(args: list[str], data_dir: Path, log_path: Path) -> Iterator[subprocess.Popen]:
    """`start_watch`, with the process killed on the way out if the test left it running."""
    proc = start_watch(args, data_dir, log_path)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def read_only(db: Path) -> sqlite3.Connection:
    """A read-only connection, so polling never takes the writer's lock."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    if not db.exists():
        return []
    try:
        conn = read_only(db)
    except sqlite3.OperationalError:
        return []  # not created yet
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        conn.close()


def assessment_count(db: Path, max_tiles: int | None = None) -> int:
    """Assessments stored so far (of one tile count, if given)."""
    if max_tiles is None:
        rows = query(db, "SELECT COUNT(*) FROM assessments")
    else:
        rows = query(db, "SELECT COUNT(*) FROM assessments WHERE max_tiles = ?", (max_tiles,))
    return rows[0][0] if rows else 0


def copy_in(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(source, target)
    return target
