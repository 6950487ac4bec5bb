"""`humanaes library import-results`: cluster rows -> the library, by fingerprint, idempotently.

The rows come from the real actor code (`Scorer`, without Ray: tests/cluster/test_cluster_job.py runs it
under Ray) on real files; the library is a real SQLite file scanned from those files.
"""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pyarrow.parquet as pq
import pytest

from humanaes_desktop.cli import main
from humanaes_desktop.cluster.results import rows_to_table
from humanaes_desktop.cluster.scorer import Scorer, ScorerOptions, read_files
from humanaes_desktop.engine.assessment import ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.library import Library
from humanaes_desktop.library.files import fingerprint
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus
from tests.cluster.conftest import open_library_of
from tests.support.assessments import make_assessment

PROFILE = PreprocessProfile(max_tiles=1)


@pytest.fixture(scope="module")
def scorer(tiny_model_dir, tmp_path_factory) -> Scorer:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUMANAES_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        options = ScorerOptions(str(tiny_model_dir), {"max_tiles": 1}, "run-import", threads=1)
        yield Scorer(options)


@pytest.fixture
def archive(tmp_path, photo_set):
    """4 photos, a copy of the first, a corrupt one; plus a photo the library never saw."""
    folder = tmp_path / "photos"
    (folder / "copies").mkdir(parents=True)
    for path in [*photo_set.good[:4], photo_set.corrupt]:
        shutil.copy2(path, folder / path.name)
    shutil.copy2(photo_set.good[0], folder / "copies" / photo_set.good[0].name)
    stranger = tmp_path / "elsewhere" / photo_set.good[10].name
    stranger.parent.mkdir()
    shutil.copy2(photo_set.good[10], stranger)
    return folder, stranger


def write_results(scorer: Scorer, paths, out) -> None:
    batch = {
        "path": np.array([str(p) for p in paths], dtype=object),
        "library_path": np.array([str(p) for p in paths], dtype=object),
        "fingerprint": np.array([fingerprint(str(p)) for p in paths], dtype=object),
    }
    read = read_files(batch)
    rows = scorer({n: read.column(n).to_numpy(zero_copy_only=False) for n in read.column_names})
    out.mkdir(exist_ok=True)
    pq.write_table(rows_to_table(rows.to_pylist()), out / "part-0.parquet")


def dump(db) -> dict[str, list]:
    """Every table's rows except the bookkeeping of writes (the write counter, and the change
    log that stamps each row written with it): what 'the same library' means."""
    bookkeeping = {"schema_meta", "image_changes"}
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in tables if t not in bookkeeping}  # fmt: skip


def run_import(capsys, out, db) -> tuple[int, str]:
    code = main(["library", "import-results", str(out), "--db", str(db)])
    return code, capsys.readouterr().out


def test_import_matches_by_fingerprint_twice_gives_the_same_library(
    capsys, tmp_path, archive, scorer
):
    folder, stranger = archive
    db = tmp_path / "lib.sqlite3"
    library = open_library_of(db, folder)
    ids = {row.path: row.id for row in library.rows(library.query_ids(GalleryQuery()))}
    first = str(sorted(folder.glob("*.png"))[0])
    library.set_rating([ids[first]], stars=4, flag=Flag.PICKED, color="green")
    library.close()
    out = tmp_path / "out"
    write_results(scorer, [*sorted(folder.rglob("*.*")), stranger], out)

    code, printed = run_import(capsys, out, db)
    assert code == 1  # the corrupt photo has an error row: reported
    assert "imported 4 results into 5 photos" in printed  # the copy got the result too
    assert "1 results for photos this library does not know" in printed
    assert f"not in the library: {stranger}" in printed
    assert "SYNTHETIC" in printed and "corrupt.jpg" in printed
    after_first = dump(db)
    # Culling's scenes get the cluster's embeddings as they get the app's own: one per photo.
    embeddings = after_first["photo_embeddings"]
    assert len(embeddings) == 5 and {len(vector) for _, _, vector in embeddings} == {512}
    assert run_import(capsys, out, db)[0] == 1
    assert dump(db) == after_first

    with Library.open(db) as library:
        rows = {r.path: r for r in library.rows(library.query_ids(GalleryQuery()))}
        rating = rows[first].rating
        assert (rating.stars, rating.flag, rating.color) == (4, Flag.PICKED, "green")
        assert len(rows) == 6
        for path, row in rows.items():
            if path.endswith("corrupt.jpg"):
                assert row.status == ImageStatus.QUEUED and row.overall is None
            else:
                assert row.status == ImageStatus.SCORED and row.synthetic is True
        assert library.queue_counts().queued == 1


def test_imported_scores_show_like_the_apps_own(qtbot, tmp_path, archive, scorer):
    from humanaes_desktop.ui.breakdown.detail_panel import DetailPanel

    folder, _ = archive
    db = tmp_path / "lib.sqlite3"
    open_library_of(db, folder).close()
    photo = sorted(folder.glob("*.png"))[0]
    write_results(scorer, [photo], tmp_path / "out")
    main(["library", "import-results", str(tmp_path / "out"), "--db", str(db)])
    own = scorer.engine.assess(load_pixels(photo, PROFILE), profile=PROFILE)
    with Library.open(db) as library:
        image_id = next(r.id for r in library.rows(library.query_ids(GalleryQuery()))
                        if r.path == str(photo))  # fmt: skip
        detail = library.detail(image_id)
    imported = detail.assessment
    assert imported.model == own.model and imported.profile == own.profile
    assert imported.overall == pytest.approx(own.overall, abs=1e-5)
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_detail(detail)
    shown_imported = (
        panel.model_label.text(),
        panel.profile_label.text(),
        panel.runtime_label.text(),
    )
    panel.show_detail(type(detail)(detail.row, own, detail.assessed_at))
    shown_own = (panel.model_label.text(), panel.profile_label.text(), panel.runtime_label.text())
    assert shown_imported[:2] == shown_own[:2]
    assert "SYNTHETIC" in shown_imported[0] and panel.synthetic_label.isVisibleTo(panel)
    assert shown_imported[2].startswith("cpu  ·  fp32  ·  ")


def test_a_newer_score_of_another_model_stays_current(capsys, tmp_path, archive, scorer):
    folder, _ = archive
    db = tmp_path / "lib.sqlite3"
    photo = sorted(folder.glob("*.png"))[0]
    write_results(scorer, [photo], tmp_path / "out")  # scored now ...
    other = ModelIdentity("KlingTeam/HumanAesExpert-1B", "b" * 40, "c" * 64, synthetic=False)
    library = open_library_of(db, folder)
    job = next(j for j in library.claim_jobs(10, other.key, PROFILE.key) if j.path == str(photo))
    library.store_assessment(job, make_assessment(0.9, model=other))  # ... and this later
    library.close()
    run_import(capsys, tmp_path / "out", db)
    with Library.open(db) as library:
        detail = library.detail(job.image_id)
    assert detail.assessment.model == other and detail.row.synthetic is False
    with sqlite3.connect(db) as conn:
        models = conn.execute("SELECT repo FROM assessments WHERE image_id=?", (job.image_id,))
        assert sorted(r[0] for r in models) == ["KlingTeam/HumanAesExpert-1B", "synthetic/tiny"]


def test_a_folder_without_results_is_an_error(capsys, tmp_path):
    db = tmp_path / "lib.sqlite3"
    Library.open(db).close()
    (tmp_path / "empty").mkdir()
    assert main(["library", "import-results", str(tmp_path / "empty"), "--db", str(db)]) == 2
    assert "holds no result files" in capsys.readouterr().err
