"""Ctrl+R on a selection: every id requested in one transaction; the answer says which were queued."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from humanaes_desktop.library import Library
from humanaes_desktop.library.jobs import EXPLICIT_PRIORITY
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from tests.support.assessments import PROFILE
from tests.support.assessments import SYNTHETIC_MODEL as SYNTHETIC

KEY, PROFILE_KEY = SYNTHETIC.key, PROFILE.key
GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "synthetic_library.py"


def _ids_by_name(library: Library) -> dict[str, int]:
    ids = library.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    return {row.file_name: row.id for row in library.rows(ids)}


def test_scorable_ids_are_queued_first_and_the_rest_reported(library, photo_dir):
    (photo_dir / "layers.psd").write_bytes(b"8BPS" + bytes(64))  # unsupported
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    ids = _ids_by_name(library)
    os.remove(photo_dir / "coffee.png")
    library.apply_fs_changes(deleted=[str(photo_dir / "coffee.png")])  # missing now
    asked = [ids["camera.png"], ids["layers.psd"], 999_999, ids["coffee.png"], ids["chelsea.png"]]
    before = library.data_version()
    queued = library.request_assessments(asked + [ids["camera.png"]])
    assert queued == [ids["camera.png"], ids["chelsea.png"]]  # the order asked, no repeats
    assert library.data_version() == before + 1  # one write transaction for all of them
    claimed = library.claim_jobs(2, KEY, PROFILE_KEY)
    assert {job.image_id for job in claimed} == set(queued)
    assert all(job.priority == EXPLICIT_PRIORITY for job in claimed)


def test_a_failed_image_is_retried_when_asked_for(library, photo_dir):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    (job,) = [j for j in library.claim_jobs(6, KEY, PROFILE_KEY) if j.path.endswith("coffee.png")]
    library.fail_job(job, "the image data ends early", permanent=True)
    assert library.detail(job.image_id).row.status is ImageStatus.FAILED
    assert library.request_assessments([job.image_id]) == [job.image_id]
    row = library.detail(job.image_id).row
    assert row.status is ImageStatus.QUEUED and row.failure_reason is None


def test_five_thousand_ids_in_one_call(tmp_path):
    spec = importlib.util.spec_from_file_location("synthetic_library", GENERATOR)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    db = generator.build_library(tmp_path / "big.sqlite3", n_images=6000, seed=2)
    with Library.open(db) as lib:
        ids = lib.query_ids(GalleryQuery())[:5000]
        before = lib.data_version()
        queued = lib.request_assessments(ids)
        assert lib.data_version() == before + 1
        assert len(queued) == len(ids)  # the generated library has no missing rows
        assert lib.queue_counts().queued >= 5000
