"""benchmarks/synthetic_library.py builds a library the real code reads, labelled synthetic."""

from __future__ import annotations

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from tests.support.gallery_arrays import generator as _generator


def test_generated_library_is_plausible_and_synthetic(tmp_path):
    db = _generator().build_library(tmp_path / "big.sqlite3", n_images=3000, seed=1)
    with Library.open(db) as lib:
        counts = lib.status_counts()
        assert sum(counts.values()) == 3000
        assert counts[ImageStatus.SCORED] > 2700
        assert lib.queue_counts().queued == counts[ImageStatus.QUEUED]
        best = lib.top_n(10)
        assert all(r.synthetic is True for r in best)
        assert [r.overall for r in best] == sorted((r.overall for r in best), reverse=True)
        detail = lib.detail(best[0].id)
        assert detail.assessment.model.synthetic and detail.assessment.overall == best[0].overall
        rated = lib.query_ids(GalleryQuery(min_stars=1))
        assert rated and all(r.rating.stars >= 1 for r in lib.rows(rated[:50]))
        assert len(lib.folders()) == 1


def test_generated_files_rescan_as_unchanged(tmp_path):
    db = _generator().build_library(tmp_path / "files.sqlite3", n_images=200, seed=2, files=True)
    with Library.open(db) as lib:
        report = lib.scan_all()
        assert report.unchanged == 200 and report.missing == 0 and report.added == 0
