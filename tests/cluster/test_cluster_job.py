"""`cluster score` under a real local Ray: ~40 photos, two actors, then merge back.

Marked slow: one job over the photo set (two actors at half a CPU each on a 2-CPU Ray) plus
`humanaes score` over the same photos to compare with (~1-2 min on 2 shared cores).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install '.[cluster]'")

from humanaes_desktop.cli import main  # noqa: E402
from humanaes_desktop.cluster.job import ClusterJobError, ScoreJob, actor_cpus, run_score_job  # noqa: E402
from humanaes_desktop.cluster.manifest import read_manifest  # noqa: E402
from humanaes_desktop.cluster.results import assessment_from_result, read_rows  # noqa: E402
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.records import GalleryQuery, ImageStatus  # noqa: E402
from tests.cluster.conftest import open_library_of  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scored(local_ray, photo_set, tiny_model_dir, tmp_path_factory, cluster_data_dir):
    """The library, a path-mapped manifest of it, and one finished job's output."""
    root = tmp_path_factory.mktemp("job")
    db = root / "lib.sqlite3"
    open_library_of(db, photo_set.folder).close()
    nas = root / "nas"  # the cluster sees the photos under another path
    nas.symlink_to(photo_set.folder, target_is_directory=True)
    manifest = root / "m.jsonl"
    assert main(["cluster", "manifest", "--db", str(db), "--model", str(tiny_model_dir),
                 "--max-tiles", "1", "--path-map", f"{photo_set.folder}={nas}",
                 "--out", str(manifest)]) == 0  # fmt: skip
    job = ScoreJob(manifest, tiny_model_dir, root / "out", actors=2, batch_size=3, rows_per_file=8)
    report = run_score_job(job)
    return {"db": db, "job": job, "report": report, "nas": nas, "rows": list(read_rows(job.out))}


def test_one_row_per_photo_bad_files_as_error_rows(scored, photo_set):
    rows, report = scored["rows"], scored["report"]
    _, entries = read_manifest(scored["job"].manifest)
    assert len(rows) == len(entries) == len(photo_set.all_files) - 1  # the copy: one content
    assert Counter(r["manifest_fingerprint"] for r in rows) == Counter(
        e.fingerprint for e in entries
    )
    errors = {r["library_path"]: r for r in rows if r["error"]}
    assert set(errors) == {str(photo_set.corrupt), str(photo_set.empty)}
    assert errors[str(photo_set.corrupt)]["error"] == "truncated_image"
    assert "damaged" in errors[str(photo_set.corrupt)]["reason"]
    assert errors[str(photo_set.empty)]["error"] == "empty_image_file"
    assert (report.scored, report.errors) == (len(entries) - 2, 2)


def test_fingerprints_are_the_librarys_and_paths_are_mapped(scored, photo_set):
    with Library.open(scored["db"]) as library:
        known = {r.path: r for r in library.rows(library.query_ids(GalleryQuery()))}
    for row in scored["rows"]:
        assert row["fingerprint"] == row["manifest_fingerprint"]
        assert row["library_path"] in known
        assert row["path"].startswith(str(scored["nas"]) + "/")
        assert row["path"].removeprefix(str(scored["nas"])) == row["library_path"].removeprefix(
            str(photo_set.folder)
        )


def test_each_actor_loaded_the_model_once(scored):
    actors = Counter(row["actor"] for row in scored["rows"])
    assert 1 <= len(actors) <= 2
    assert {row["actor_model_loads"] for row in scored["rows"]} == {1}
    assert all(row["synthetic"] is True for row in scored["rows"])


def test_results_equal_humanaes_score_on_the_same_photos(scored, photo_set, tiny_model_dir, capsys):
    main(["score", *map(str, photo_set.good), "--model", str(tiny_model_dir), "--max-tiles", "1"])
    reference = {
        line["path"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())
    }
    compared = 0
    for row in scored["rows"]:
        if row["error"] or row["library_path"] not in reference:
            continue
        line, assessment = reference[row["library_path"]], assessment_from_result(row)
        assert assessment.overall == pytest.approx(line["overall"], abs=1e-5)
        assert assessment.fast_score == pytest.approx(line["fast_score"], abs=1e-5)
        assert [assessment.dimensions[k] for k in DIMENSION_KEYS] == pytest.approx(
            [line["dimensions"][k] for k in DIMENSION_KEYS], abs=1e-5
        )
        assert (assessment.level, assessment.tiles, assessment.device, assessment.dtype) == (
            line["level"], line["tiles"], line["device"], line["dtype"],
        )  # fmt: skip
        assert assessment.profile.key == "tiles=1;size=448;decode=exact"
        compared += 1
    assert compared == len(photo_set.good)


def test_a_rerun_with_the_same_output_adds_nothing(scored):
    again = run_score_job(scored["job"])
    assert (again.already_done, again.submitted, again.scored) == (len(scored["rows"]), 0, 0)
    assert len(list(read_rows(scored["job"].out))) == len(scored["rows"])


def test_merged_back_every_photo_shows_its_score(scored, photo_set, capsys):
    assert (
        main(["library", "import-results", str(scored["job"].out), "--db", str(scored["db"])]) == 1
    )
    with Library.open(scored["db"]) as library:
        rows = library.rows(library.query_ids(GalleryQuery()))
    scored_paths = {r.path for r in rows if r.status == ImageStatus.SCORED and r.synthetic}
    assert scored_paths == {str(p) for p in [*photo_set.good, photo_set.copy]}
    assert "2 photos could not be scored on the cluster" in capsys.readouterr().out


def test_a_model_that_is_not_the_manifests_is_refused_before_ray_starts(scored, tmp_path):
    from humanaes_desktop.engine.synthetic import build_synthetic_model

    other = build_synthetic_model(tmp_path / "other", preset="tiny", seed=1)
    with pytest.raises(ClusterJobError, match="make the manifest again"):
        run_score_job(replace(scored["job"], model_dir=other, out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_actors_never_take_every_cpu_of_a_local_ray():
    job = ScoreJob(manifest=None, model_dir=None, out=None, actors=2)  # type: ignore[arg-type]
    assert actor_cpus(job, 2.0, local=True) == 0.75  # 2 x 0.75 + read + write = 2
    assert actor_cpus(job, 16.0, local=True) == 1.0
    assert actor_cpus(job, 2.0, local=False) == 1.0  # a cluster's size can change
    with pytest.raises(ClusterJobError, match="ray#44687"):
        actor_cpus(replace(job, cpus_per_actor=1.0), 2.0, local=True)
