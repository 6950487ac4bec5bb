"""`humanaes watch --annotate`: every photo gets the model's annotation text, not only on demand."""

from __future__ import annotations

import re
import shutil

from humanaes_desktop.cli import main
from humanaes_desktop.library import Library

LINE = re.compile(r"^\d+\. .+ : (bad|poor|fair|good|excellent)$")


def _annotations(db) -> dict[str, str | None]:
    library = Library.open(db)
    try:
        return {row["path"].rsplit("/", 1)[-1]: row["annotation"] for row in _rows(library)}
    finally:
        library.close()


def _rows(library):
    from humanaes_desktop.library.records import GalleryQuery

    ids = library.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    for row in library.rows(ids):
        detail = library.detail(row.id)
        yield {"path": row.path, "annotation": detail.assessment.annotation}


def _score_folder(tmp_path, monkeypatch, sample_photos_dir, tiny_model_dir, *extra):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut.png", "grace_hopper.jpg"):
        shutil.copy(sample_photos_dir / name, folder / name)
    db = tmp_path / "lib.sqlite3"
    args = ["watch", str(folder), "--db", str(db), "--model", str(tiny_model_dir), "--once"]
    assert main([*args, "--max-tiles", "1", *extra]) == 0
    return _annotations(db)


def test_watch_with_annotate_writes_annotation_for_every_photo(
    tmp_path, monkeypatch, sample_photos_dir, tiny_model_dir
):
    annotations = _score_folder(
        tmp_path, monkeypatch, sample_photos_dir, tiny_model_dir, "--annotate"
    )
    assert set(annotations) == {"astronaut.png", "grace_hopper.jpg"}
    for text in annotations.values():
        lines = text.splitlines()
        assert len(lines) == 12 and all(LINE.match(line.strip()) for line in lines), text


def test_watch_without_annotate_leaves_annotation_on_demand(
    tmp_path, monkeypatch, sample_photos_dir, tiny_model_dir
):
    annotations = _score_folder(tmp_path, monkeypatch, sample_photos_dir, tiny_model_dir)
    assert annotations == {"astronaut.png": None, "grace_hopper.jpg": None}
