"""Scanning a folder of damaged and odd files: each gets the status and the words it deserves."""

from __future__ import annotations

import errno

from humanaes_desktop.library import files as library_files
from humanaes_desktop.library.records import GalleryQuery
from tests.support.failure_corpus import write_corpus


def _rows(library) -> dict:
    ids = library.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    return {row.file_name: row for row in library.rows(ids)}


def test_damaged_files_are_failed_with_what_is_wrong_with_them(library, tmp_path) -> None:
    folder = tmp_path / "corpus"
    expected = write_corpus(folder)
    library.add_folder(folder)
    library.scan_all()
    rows = _rows(library)
    assert set(rows) == set(expected)
    for name, outcome in expected.items():
        row = rows[name]
        assert row.status.value == outcome.status, (name, row.failure_reason)
        if outcome.status == "failed":
            # The content's verdict, never words that suggest a lock or a permission.
            assert "cannot read the file" not in row.failure_reason
            assert name in row.failure_reason
            assert any(
                word in row.failure_reason
                for word in ("damaged", "empty", "not an image", "too large")
            ), row.failure_reason


def test_a_file_the_system_will_not_let_us_read_is_queued_for_retries(
    library, tmp_path, monkeypatch
) -> None:
    from tests.support.image_files import build

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "locked.jpg").write_bytes(build("jpeg")[1])
    real = library_files.fingerprint

    def locked(path, size):
        if str(path).endswith("locked.jpg"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, size)

    # Tests may run as root, which chmod cannot lock out: refuse the read itself.
    monkeypatch.setattr("humanaes_desktop.library.ingest.fingerprint", locked)
    library.add_folder(folder)
    library.scan_all()
    (row,) = _rows(library).values()
    assert row.status.value == "queued" and row.failure_reason is None
    assert library.queue_counts().queued == 1
