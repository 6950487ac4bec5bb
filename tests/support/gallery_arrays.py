"""Helpers of the gallery-array tests: a generated library, and the order the arrays promise,
worked out independently from the raw SQLite rows."""

from __future__ import annotations

import importlib.util
import random
import sqlite3
from pathlib import Path

import numpy as np

from humanaes_desktop.engine.dimensions import LEVELS
from humanaes_desktop.library.arrays.columns import SCORE_KEYS
from humanaes_desktop.library.queries import SORT_KEYS
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "synthetic_library.py"


def generator():
    """benchmarks/synthetic_library.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("synthetic_library", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def loaded_library(
    path: Path, images: int, per_folder: int, seed: int, *, files: bool = False, quick: float = 0
):
    """A generated library of `images` photos (`per_folder` a folder, a `quick` share of the
    scores quick ones), its arrays loaded."""
    from humanaes_desktop.library import Library

    module = generator()
    module.IMAGES_PER_FOLDER = per_folder
    library = Library.open(
        module.build_library(path, images, seed=seed, files=files, quick_share=quick)
    )
    library.load_gallery_arrays()
    return library


def random_query(rng: random.Random, folders: list[int]) -> GalleryQuery:
    """A sort and filter combination, as a user could click it together."""
    return GalleryQuery(
        sort_key=rng.choice([k for k in SORT_KEYS if k != "taste"]),
        descending=rng.random() < 0.5,
        folder_id=rng.choice([None, None, *folders]),
        levels=frozenset(rng.sample(LEVELS, rng.choice([0, 0, 1, 2]))),
        min_overall=rng.choice([None, None, 0.5, 0.7]),
        flags=frozenset(rng.sample(list(Flag), rng.choice([0, 0, 0, 1, 2]))),
        min_stars=rng.choice([0, 0, 0, 2, 4]),
        text=rng.choice(["", "", "", "IMG_00", "img_0012", "G_001", ".png", "zzz"]),
        statuses=rng.choice(
            [frozenset(), frozenset(), frozenset({ImageStatus.QUEUED, ImageStatus.FAILED})]
        ),
    )


_SQL_COLUMN = {"level": "overall"}


def raw_values(db_path: Path, key: str) -> dict[int, object]:
    """id -> the value `key` sorts by, straight from the image rows (float32 like the arrays)."""
    column = _SQL_COLUMN.get(key, key)
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(f"SELECT id, {column} FROM images").fetchall()
    finally:
        conn.close()
    if key == "file_name":
        return {i: v.encode("utf-8") for i, v in rows}
    if key in SCORE_KEYS or key == "level":  # the arrays keep scores in float32
        return {i: None if v is None else float(np.float32(v)) for i, v in rows}
    return dict(rows)


def promised_order(db_path: Path, query: GalleryQuery, ids: list[int]) -> list[int]:
    """`ids` in the order the arrays promise: by (value, id), descending the exact reverse,
    NULL values last by id."""
    values = raw_values(db_path, query.sort_key)
    valued = sorted((i for i in ids if values[i] is not None), key=lambda i: (values[i], i))
    if query.descending:
        valued.reverse()
    return valued + sorted(i for i in ids if values[i] is None)
