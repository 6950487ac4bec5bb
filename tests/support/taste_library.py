"""A real library of scored photos with random dimensions, and a simulated user who rates them.

The MetaVoter score is what an "average rater" would give (faces and general appearance); the
simulated user's ratings follow a hidden utility the test chooses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import stats

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import Flag
from tests.support.assessments import PROFILE, SYNTHETIC_MODEL, make_assessment

MODEL = SYNTHETIC_MODEL
DIM = {k: i for i, k in enumerate(DIMENSION_KEYS)}


def _assessment(dims: np.ndarray, overall: float) -> Assessment:
    return make_assessment(
        float(overall),
        {k: float(v) for k, v in zip(DIMENSION_KEYS, dims, strict=True)},
        fast_score=float(np.clip(overall + 0.02, 0, 1)),
    )


def scored_library(tmp_path: Path, count: int, seed: int):
    """(library, ids, dims [count, 12], overall [count]) of `count` scored photos."""
    folder = tmp_path / "shoot"
    folder.mkdir()
    for i in range(count):
        colour = (i % 256, (i * 7) % 256, (i // 256) * 40)
        Image.new("RGB", (16, 16), colour).save(folder / f"p{i:04d}.png")
    library = Library.open(tmp_path / "library.sqlite3")
    library.scan_folder(library.add_folder(folder).id)
    rng = np.random.default_rng(seed)
    dims = rng.uniform(0.1, 0.9, (count, 12))
    average = dims[:, [DIM["facial_aesthetic"], DIM["general_appearance"], DIM["looks"]]].mean(1)
    overall = np.clip(average + rng.normal(0, 0.03, count), 0, 1)
    by_index = {}
    for job in library.claim_jobs(count + 1, MODEL.key, PROFILE.key):
        k = int(Path(job.path).stem[1:])
        library.store_assessment(job, _assessment(dims[k], overall[k]))
        by_index[k] = job.image_id
    return library, np.array([by_index[k] for k in range(count)]), dims, overall


def rate_by(library: Library, ids: np.ndarray, utility: np.ndarray) -> None:
    """Stars by quintile of the user's utility; the worst tenth rejected instead."""
    order = stats.rankdata(utility) / len(utility)
    for image_id, q in zip(ids.tolist(), order, strict=True):
        if q <= 0.1:
            library.set_rating([image_id], flag=Flag.REJECTED)
        else:
            library.set_rating([image_id], stars=int(min(5, 1 + q * 5)))
