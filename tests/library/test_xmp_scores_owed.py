"""Scores that arrive outside the job queue (a cluster's results, an evaluation run) reach the
sidecars like the worker's do: owed in the same transaction, written by the next sync."""

from __future__ import annotations

import sqlite3
import time

from humanaes_desktop.library.result_import import ImportedResult
from tests.support.assessments import make_assessment
from tests.support.xmp import exiftool_metadata, library_with_photos

OUR = "XMP-humanaes"


def _fingerprint(library, image_id: int) -> str:
    with sqlite3.connect(library.path) as conn:
        return conn.execute("SELECT fingerprint FROM images WHERE id = ?", (image_id,)).fetchone()[
            0
        ]


def _owed(library) -> int:
    return library.sidecars.status().pending


def test_imported_results_owe_their_sidecars_the_new_scores(tmp_path):
    library, folder, ids = library_with_photos(
        tmp_path, ["a.jpg"], write_scores=True, write_synthetic=True
    )
    with library:
        image_id = ids["a.jpg"]
        result = ImportedResult(
            _fingerprint(library, image_id), make_assessment(0.8123), time.time()
        )
        report = library.import_results([result])
        assert report.made_current == [image_id]
        assert _owed(library) == 1
        library.sidecars.write_pending()
        assert _owed(library) == 0
    assert exiftool_metadata(folder / "a.jpg.xmp")[f"{OUR}:Overall"] == 0.8123


def test_an_older_imported_result_owes_nothing(tmp_path):
    library, _folder, ids = library_with_photos(tmp_path, ["a.jpg"], write_scores=True)
    with library:
        image_id = ids["a.jpg"]
        fingerprint = _fingerprint(library, image_id)
        library.import_results([ImportedResult(fingerprint, make_assessment(0.7), time.time())])
        library.sidecars.write_pending()
        older = ImportedResult(fingerprint, make_assessment(0.2, tiles=2), time.time() - 3600)
        report = library.import_results([older])
        assert report.images_updated == 1 and report.made_current == []
        assert _owed(library) == 0


def test_recorded_assessments_owe_their_sidecars(tmp_path):
    library, folder, ids = library_with_photos(
        tmp_path, ["a.jpg", "b.jpg"], write_scores=True, write_synthetic=True
    )
    with library:
        library.record_assessment(ids["b.jpg"], make_assessment(0.6543))
        assert _owed(library) == 1
        library.sidecars.write_pending()
    assert exiftool_metadata(folder / "b.jpg.xmp")[f"{OUR}:Overall"] == 0.6543
    assert not (folder / "a.jpg.xmp").exists()


def test_scores_owe_nothing_where_the_library_does_not_write_them(tmp_path):
    library, _folder, ids = library_with_photos(tmp_path, ["a.jpg"])
    with library:
        image_id = ids["a.jpg"]
        result = ImportedResult(_fingerprint(library, image_id), make_assessment(0.5), time.time())
        library.import_results([result])
        library.record_assessment(image_id, make_assessment(0.4, tiles=3))
        assert _owed(library) == 0
