"""A library with one big folder whose photos all have first-pass signals (no pixels), for
timing regrouping at scale. Rows come from benchmarks/synthetic_shoot.py."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np

from benchmarks.synthetic_shoot import synthetic_shoot
from humanaes_desktop.engine.culling import SIGNALS_VERSION
from humanaes_desktop.engine.culling.hashes import to_signed
from humanaes_desktop.library import Library

BACKEND = "opencv-haar/benchmark"
_SIGNALS = (
    "image_id, fingerprint, version, face_backend, computed_at, capture_time, time_source,"
    " counter, phash, dhash, flat, landscape, exposure_bias, exposure_key, peak_x, peak_y,"
    " sharpness, sharpness_peak, luma_mean, shadows_clipped, highlights_clipped, face_count,"
    " eyes_closed, soft, clipped, faces_json, details_json"
)


def _insert(db_path: Path, folder_id: int, first_id: int, n: int, seed: int) -> None:
    data = synthetic_shoot(n, seed)
    rng = np.random.default_rng(seed)
    now = time.time()
    images, signals = [], []
    for k in range(n):
        image_id = first_id + k
        fingerprint = f"{image_id:032x}"
        images.append(
            (
                image_id,
                folder_id,
                f"IMG_{image_id:06d}.jpg",
                f"IMG_{image_id:06d}.jpg",
                1_000_000,
                float(data.time[k]),
                fingerprint,
                "queued",
            )
        )
        sharp = float(rng.uniform(50, 800))
        signals.append((image_id, fingerprint, SIGNALS_VERSION, BACKEND, now, float(data.time[k]),
                        "exif+subsec", int(data.counter[k]), to_signed(int(data.phash[k])),
                        to_signed(int(data.dhash[k])), bool(data.flat[k]),
                        bool(data.landscape[k]), float(data.exposure_bias[k]), "1/250",
                        float(data.peak_xy[k, 0]), float(data.peak_xy[k, 1]), sharp / 4, sharp,
                        float(rng.uniform(60, 160)), 0.0, 0.0, 0, False, sharp < 60, False,
                        "[]", '{"faces": []}'))  # fmt: skip
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executemany(
            "INSERT INTO images (id, folder_id, rel_path, file_name, size, mtime, fingerprint,"
            " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            images,
        )
        marks = ", ".join("?" * len(_SIGNALS.split(",")))
        conn.executemany(f"INSERT INTO photo_signals ({_SIGNALS}) VALUES ({marks})", signals)
    conn.close()


def build_culling_library(db_path: Path, n: int) -> tuple[Library, int]:
    """(open library, folder id) of a folder of n analysed photos."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    photos = db_path.parent / "photos"
    photos.mkdir(exist_ok=True)
    with Library.open(db_path) as library:
        folder_id = library.add_folder(photos).id
    _insert(db_path, folder_id, 1, n, seed=0)
    return Library.open(db_path), folder_id


def add_photos(library: Library, folder_id: int, n: int) -> float:
    """n more analysed photos, shot after the others; returns the first one's capture time."""
    conn = sqlite3.connect(library.path)
    last_id, last_time = conn.execute(
        "SELECT max(image_id), max(capture_time) FROM photo_signals"
    ).fetchone()
    conn.close()
    _insert(library.path, folder_id, last_id + 1, n, seed=99)
    conn = sqlite3.connect(library.path)
    with conn:  # shift the new photos after the old ones
        shift = last_time + 60 - 1.7e9
        conn.execute(
            "UPDATE photo_signals SET capture_time = capture_time + ? WHERE image_id > ?",
            (shift, last_id),
        )
        (since,) = conn.execute(
            "SELECT min(capture_time) FROM photo_signals WHERE image_id > ?", (last_id,)
        ).fetchone()
    conn.close()
    return since
