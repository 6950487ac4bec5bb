"""Real libraries on a tmp SQLite file, filled with real image files and known assessments."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery
from tests.support.assessments import PROFILE, SYNTHETIC_MODEL, make_assessment
from tests.support.photos import sample_photos

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
BY_NAME = GalleryQuery(sort_key="file_name", descending=False)
# The gallery's photos show full scores unless a test asks for quick (one-tile) ones.
FULL_PROFILE = PreprocessProfile(max_tiles=12)


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
    quick: frozenset[str] = frozenset(),
) -> FilledLibrary:
    """Create a library with one folder; store assessments for `scores` through the job queue.

    `scores` maps file names to (overall, environment); by default the KNOWN ones plus one
    UNSCORED photo, written as small generated images (or the sample photos, unscored). They are
    full scores, except for the photos named in `quick`: those get a quick score with their full
    pass queued, as "quick first" leaves them.
    """
    scores = KNOWN if scores is None else scores
    unscored = [UNSCORED] if unscored is None else unscored
    if use_sample_photos:
        folder.mkdir(parents=True, exist_ok=True)
        for photo in sample_photos():
            shutil.copy2(photo, folder / photo.name)
    else:
        write_images(folder, sorted(scores) + unscored)
    library = Library.open(db_path)
    record = library.add_folder(folder)
    library.scan_folder(record.id)
    ids = {row.file_name: row.id for row in library.rows(library.query_ids(BY_NAME))}
    jobs = library.claim_jobs(len(ids) + 5, SYNTHETIC_MODEL.key, PROFILE.key)
    for job in jobs:
        name = Path(job.path).name
        if name in scores:
            overall, environment = scores[name]
            profile, tiles = (PROFILE, 1) if name in quick else (FULL_PROFILE, 13)
            assessment = make_assessment(
                overall, {"environment": environment}, profile=profile, tiles=tiles
            )
            library.store_assessment(job, assessment)
    library.release_jobs([j for j in jobs if Path(j.path).name not in scores])
    if quick:
        library.queue_upgrades()
    return FilledLibrary(library, db_path, folder, record.id, ids)


def score_all(lib: Library, base: float = 0.3, step: float = 0.1) -> dict[str, float]:
    """Claim and score every queued job with rising overall scores; returns file name -> score."""
    given: dict[str, float] = {}
    jobs = lib.claim_jobs(1000, SYNTHETIC_MODEL.key, PROFILE.key)
    for i, job in enumerate(sorted(jobs, key=lambda j: j.path)):
        overall = round(min(base + i * step, 0.99), 4)
        lib.store_assessment(job, make_assessment(overall))
        given[Path(job.path).name] = overall
    return given
