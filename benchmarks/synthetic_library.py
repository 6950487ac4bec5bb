"""Build a large, plausible library database quickly (for the library and GUI benchmarks).

Every assessment it writes is marked synthetic (repo "synthetic/benchmark"): the scores are random
numbers shaped like real ones, and the app labels them as meaningless wherever they appear.

    from benchmarks.synthetic_library import build_library
    db = build_library(tmp / "bench.sqlite3", n_images=100_000, seed=0)

By default no image files exist on disk (the rows point at <db dir>/synthetic-photos/...);
`files=True` also writes a tiny, distinct PNG for every row so thumbnails and rescans work.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS, LEVELS  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.ratings import COLORS  # noqa: E402

MODEL = ("synthetic/benchmark", "local", "0" * 64)
MODEL_KEY = f"{MODEL[0]}@{MODEL[1]}#{MODEL[2][:16]}"
PROFILE_KEY = "tiles=12;size=448;decode=exact"
QUICK_PROFILE_KEY = "tiles=1;size=448;decode=exact"
IMAGES_PER_FOLDER = 5_000
_LEVEL_EDGES = np.array([0.2, 0.4, 0.6, 0.8])


def tiny_png(index: int) -> bytes:
    """A 1x1 PNG whose bytes differ per index (trailing data Pillow ignores): distinct fingerprints."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (index % 256, (index // 256) % 256, 90)).save(buffer, "PNG")
    return buffer.getvalue() + index.to_bytes(8, "little")


def _scores(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    overall = np.clip(rng.normal(0.55, 0.17, n), 0.01, 0.99)
    dims = np.clip(overall[:, None] + rng.normal(0, 0.12, (n, len(DIMENSION_KEYS))), 0.0, 1.0)
    fast = np.clip(overall + rng.normal(0, 0.05, n), 0.0, 1.0)
    return overall, dims, fast


def _statuses(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(["scored", "queued", "failed"], size=n, p=[0.96, 0.03, 0.01])


def _write_files(root: Path, indexes: range, suffix: str) -> list[tuple[int, float]]:
    stats = []
    for i in indexes:
        path = root / _rel_path(i, suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tiny_png(i))
        info = path.stat()
        stats.append((info.st_size, info.st_mtime))
    return stats


def _folder_rows(root: Path, n_images: int) -> list[tuple]:
    count = max(1, -(-n_images // IMAGES_PER_FOLDER))
    now = time.time()
    return [(i + 1, str(root / f"shoot-{i:03d}"), 1, 1, now) for i in range(count)]


def _image_arrays(rng, n_images: int, files: bool, quick_share: float = 0.0) -> dict:
    """Every random column of the image rows, drawn in one go (the same stream at any size); a
    `quick_share` of the scored images shows a quick (1-tile) score."""
    overall, dims, fast = _scores(rng, n_images)
    status = _statuses(rng, n_images)
    mtimes = 1_700_000_000 + rng.uniform(0, 3e7, n_images)
    sizes = rng.integers(800_000, 12_000_000, n_images)
    levels = np.array(LEVELS)[np.searchsorted(_LEVEL_EDGES, overall, side="right")]
    prints = rng.bytes(16 * n_images)
    # Drawn last, and only when asked for: libraries built before keep their exact content.
    quick = rng.random(n_images) < quick_share if quick_share else np.zeros(n_images, bool)
    suffix = ".png" if files else ".jpg"
    return dict(overall=overall, dims=dims, fast=fast, status=status, mtimes=mtimes,
                sizes=sizes, levels=levels, prints=prints, quick=quick, suffix=suffix)  # fmt: skip


def _rel_path(i: int, suffix: str) -> str:
    return f"day{(i // 500) % 10:02d}/IMG_{i:06d}{suffix}"


def _image_rows(a: dict, start: int, stop: int, folders) -> tuple[list[tuple], list[tuple]]:
    """(image rows, assessment rows) for images start..stop-1, in the column order below."""
    images, assessments = [], []
    for i in range(start, stop):
        folder_id = folders[i // IMAGES_PER_FOLDER][0]
        scored = a["status"][i] == "scored"
        score_values = (
            [float(a["overall"][i]), float(a["fast"][i]), *map(float, a["dims"][i])]
            if scored
            else [None] * 14
        )
        rel_path = _rel_path(i, a["suffix"])
        mtime, level, status = float(a["mtimes"][i]), str(a["levels"][i]), str(a["status"][i])
        quick = bool(a["quick"][i])
        tiles = 1 if quick else 12
        images.append(
            (i + 1, folder_id, rel_path, rel_path.rsplit("/", 1)[1], int(a["sizes"][i]),
             mtime, a["prints"][16 * i : 16 * i + 16].hex(), 6000, 4000, mtime - 3600, status,
             "synthetic failure: unreadable" if status == "failed" else None,
             i + 1 if scored else None, level if scored else None,
             1 if scored else None, tiles if scored else None, *score_values)
        )  # fmt: skip
        if scored:
            assessments.append(
                (i + 1, i + 1, MODEL_KEY, *MODEL, 1,
                 QUICK_PROFILE_KEY if quick else PROFILE_KEY, tiles, 448, "exact",
                 *score_values, level, "synthetic expert text", None,
                 '{"total_s": 1.0}', "cpu", "float32", 1 if quick else 7, mtime + 60)
            )  # fmt: skip
    return images, assessments


def _rating_rows(rng, n_images: int) -> list[tuple]:
    rated = rng.choice(n_images, size=n_images // 10, replace=False) + 1
    now = time.time()
    return [
        (int(i), int(rng.integers(0, 6)), int(rng.choice([-1, 0, 1])),
         str(rng.choice(COLORS)) if rng.random() < 0.3 else None, now)
        for i in np.sort(rated)
    ]  # fmt: skip


_IMAGE_COLUMNS = (
    "id, folder_id, rel_path, file_name, size, mtime, fingerprint, width, height, captured_at,"
    " status, failure_reason, current_assessment_id, level, synthetic, max_tiles, overall,"
    " fast_score, " + ", ".join(DIMENSION_KEYS)
)
_ASSESSMENT_COLUMNS = (
    "id, image_id, model_key, repo, revision, weights_sha256, synthetic, profile_key, max_tiles,"
    " input_size, decode, overall, fast_score, " + ", ".join(DIMENSION_KEYS) + ", level,"
    " expert_text, annotation, timings_json, device, dtype, tiles, created_at"
)


def _marks(columns: str) -> str:
    return ", ".join("?" * len(columns.split(",")))


CHUNK = 50_000  # rows built and inserted at a time: a million-image build stays small in memory


def _insert_images(conn, arrays: dict, folders, n_images: int, sizes: dict) -> None:
    for start in range(0, n_images, CHUNK):
        images, assessments = _image_rows(arrays, start, min(n_images, start + CHUNK), folders)
        if sizes:  # real files were written: their real size and mtime
            images = [(*r[:4], *sizes[r[0]], *r[6:]) for r in images]
        conn.executemany(
            f"INSERT INTO images ({_IMAGE_COLUMNS}) VALUES ({_marks(_IMAGE_COLUMNS)})", images
        )
        conn.executemany(
            f"INSERT INTO assessments ({_ASSESSMENT_COLUMNS}) VALUES ({_marks(_ASSESSMENT_COLUMNS)})",
            assessments,
        )
        conn.executemany(
            "INSERT INTO jobs (image_id, priority, file_mtime, annotate, force, state, attempts, not_before) VALUES (?, 0, ?, 0, 0, 'queued', 0, 0)",
            [(r[0], r[5]) for r in images if r[10] == "queued"],
        )


def _insert_all(db_path: Path, folders, arrays: dict, n_images: int, ratings, sizes) -> None:
    """Bulk-insert every row in one transaction (rows are consistent by construction)."""
    conn = sqlite3.connect(db_path)
    # A throw-away build: no fsync per page, and a cache big enough for the index updates.
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    try:
        with conn:
            conn.execute("PRAGMA foreign_keys=OFF")  # rows are consistent by construction
            conn.executemany(
                "INSERT INTO folders (id, path, available, watched, added_at) VALUES (?, ?, ?, ?, ?)",
                folders,
            )
            _insert_images(conn, arrays, folders, n_images, sizes)
            conn.executemany(
                "INSERT INTO ratings (image_id, stars, flag, color, updated_at) VALUES (?, ?, ?, ?, ?)",
                ratings,
            )
            conn.executemany(
                "UPDATE images SET stars = ?, flag = ? WHERE id = ?",
                [(stars, flag, image_id) for image_id, stars, flag, *_ in ratings],
            )
            conn.execute("UPDATE schema_meta SET data_version = data_version + 1")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def build_library(
    db_path: str | Path,
    n_images: int = 100_000,
    seed: int = 0,
    *,
    files: bool = False,
    quick_share: float = 0.0,
) -> Path:
    """Create a library of `n_images` (96% scored, synthetic) with folders, ratings and a queue;
    `quick_share` of the scored images show a quick (1-tile) score, the rest a full one."""
    db_path = Path(db_path)
    Library.open(db_path).close()  # schema, at the current version
    rng = np.random.default_rng(seed)
    root = db_path.parent / "synthetic-photos"
    folders = _folder_rows(root, n_images)
    arrays = _image_arrays(rng, n_images, files, quick_share)
    sizes: dict[int, tuple[int, float]] = {}
    if files:
        for number, (_folder_id, folder_path, *_) in enumerate(folders):
            first = number * IMAGES_PER_FOLDER
            own = range(first, min(n_images, first + IMAGES_PER_FOLDER))
            written = _write_files(Path(folder_path), own, arrays["suffix"])
            for i, stat in zip(own, written, strict=True):
                sizes[i + 1] = stat
    ratings = _rating_rows(rng, n_images)
    _insert_all(db_path, folders, arrays, n_images, ratings, sizes)
    return db_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", action="store_true", help="also write tiny image files")
    args = parser.parse_args()
    started = time.perf_counter()
    build_library(args.db, args.images, args.seed, files=args.files)
    print(
        f"built {args.db} with {args.images} images in {time.perf_counter() - started:.1f} s (SYNTHETIC scores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
