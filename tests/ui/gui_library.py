"""A real Library on a tmp SQLite file, filled with real image files and known assessments,
for the gallery / main window tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library import Library
from tests.support.photos import PHOTOS_DIR as PHOTOS

SYNTHETIC = ModelIdentity("synthetic/tiny", "local", "0" * 64, synthetic=True)
PROFILE = PreprocessProfile(max_tiles=1)

# name -> (overall, value of the "environment" dimension). Orders differ on purpose, so a sort
# by the dimension is distinguishable from a sort by overall.
KNOWN: dict[str, tuple[float, float]] = {
    "a_red.png": (0.91, 0.10),  # excellent
    "b_green.png": (0.15, 0.95),  # bad
    "c_blue.png": (0.55, 0.50),  # fair
    "d_yellow.png": (0.72, 0.30),  # good
    "e_cyan.png": (0.35, 0.70),  # poor
}
UNSCORED = "f_unscored.png"


def make_assessment(overall: float, environment: float) -> Assessment:
    """An assessment with a known overall and environment value (other dimensions derived)."""
    dims = {key: round(overall * (0.4 + i / 30), 4) for i, key in enumerate(DIMENSION_KEYS)}
    dims["environment"] = environment
    return Assessment(
        overall=overall,
        fast_score=overall * 0.9,
        dimensions=dims,
        expert_text="Comprehensive Aesthetic Score: good",
        annotation=None,
        model=SYNTHETIC,
        profile=PROFILE,
        device="cpu",
        dtype="fp32",
        tiles=1,
        timings={"vision_s": 0.1},
    )


def write_images(folder: Path, names: list[str]) -> None:
    """Distinct small images (distinct content: the library identifies files by fingerprint)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        color = ((i * 53) % 256, (i * 97 + 40) % 256, (i * 151 + 80) % 256)
        image = Image.new("RGB", (64 + i, 48 + i), color)
        image.putpixel((i % 64, 0), (255 - color[0], 0, 0))
        image.save(folder / name)


@dataclass
class FilledLibrary:
    library: Library
    db_path: Path
    folder: Path
    folder_id: int
    ids: dict[str, int]  # file name -> image id


def fill_library(
    db_path: Path,
    folder: Path,
    scores: dict[str, tuple[float, float]] | None = None,
    unscored: list[str] | None = None,
    use_sample_photos: bool = False,
) -> FilledLibrary:
    """Create a library with one folder; store assessments for `scores` through the job queue."""
    scores = KNOWN if scores is None else scores
    unscored = [UNSCORED] if unscored is None else unscored
    if use_sample_photos:
        folder.mkdir(parents=True, exist_ok=True)
        for photo in sorted(PHOTOS.iterdir()):
            shutil.copy2(photo, folder / photo.name)
    else:
        write_images(folder, sorted(scores) + unscored)
    library = Library.open(db_path)
    record = library.add_folder(folder)
    library.scan_folder(record.id)
    ids = {row.file_name: row.id for row in library.rows(library.query_ids(_all_query()))}
    jobs = library.claim_jobs(len(ids) + 5, SYNTHETIC.key, PROFILE.key)
    for job in jobs:
        name = Path(job.path).name
        if name in scores:
            library.store_assessment(job, make_assessment(*scores[name]))
    library.release_jobs([j for j in jobs if Path(j.path).name not in scores])
    return FilledLibrary(library, db_path, folder, record.id, ids)


def _all_query():
    from humanaes_desktop.library.records import GalleryQuery

    return GalleryQuery(sort_key="file_name", descending=False)
