"""Gallery reads (sort, filter, rows, best-N), ratings, export and concurrent use from threads."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus
from humanaes_desktop.library.score_export import EXPORT_FIELDS
from tests.support.assessments import PROFILE, SYNTHETIC_MODEL, make_assessment
from tests.support.libraries import score_all


@pytest.fixture
def scored(library, photo_dir):
    """Six photos, five scored 0.3 … 0.7 in path order, one (the last) still queued."""
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    jobs = sorted(library.claim_jobs(10, SYNTHETIC_MODEL.key, PROFILE.key), key=lambda j: j.path)
    for i, job in enumerate(jobs[:-1]):
        library.store_assessment(job, make_assessment(round(0.3 + 0.1 * i, 2)))
    library.release_jobs(jobs[-1:])
    return library


def _names(library, query: GalleryQuery) -> list[str]:
    return [row.file_name for row in library.rows(library.query_ids(query))]


def test_sort_by_score_puts_unscored_last_in_both_directions(scored):
    down = [r.overall for r in scored.rows(scored.query_ids(GalleryQuery(sort_key="overall")))]
    assert down == [0.7, 0.6, 0.5, 0.4, 0.3, None]
    up = GalleryQuery(sort_key="overall", descending=False)
    assert [r.overall for r in scored.rows(scored.query_ids(up))] == [0.3, 0.4, 0.5, 0.6, 0.7, None]


@pytest.mark.parametrize("key", [*DIMENSION_KEYS, "fast_score", "level", "file_name", "mtime"])
def test_every_sort_key_orders_rows(scored, key):
    ids = scored.query_ids(GalleryQuery(sort_key=key, descending=False))
    rows = scored.rows(ids)
    assert len(rows) == 6
    if key in DIMENSION_KEYS:
        values = [r.dimensions[key] for r in rows if r.dimensions]
    elif key in ("fast_score", "level"):
        values = [r.overall for r in rows if r.overall is not None]
    else:
        values = [getattr(r, key) for r in rows]
    assert values == sorted(values)


def test_filters_by_level_score_text_folder_and_ratings(scored):
    good = _names(scored, GalleryQuery(levels=frozenset({"good"})))
    assert good == ["grace_hopper.jpg", "coffee.png"]  # 0.7 and 0.6
    assert _names(scored, GalleryQuery(levels=frozenset({"excellent"}))) == []
    assert len(scored.query_ids(GalleryQuery(min_overall=0.5))) == 3
    assert _names(scored, GalleryQuery(text="HOPP")) == ["grace_hopper.jpg"]
    assert _names(scored, GalleryQuery(text="%")) == []
    ids = scored.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    scored.set_rating(ids[:2], flag=Flag.PICKED, stars=3)
    scored.set_rating(ids[2:3], flag=Flag.REJECTED)
    picked = GalleryQuery(sort_key="file_name", descending=False, flags=frozenset({Flag.PICKED}))
    assert scored.query_ids(picked) == ids[:2]
    assert (
        scored.query_ids(GalleryQuery(min_stars=3, sort_key="file_name", descending=False))
        == ids[:2]
    )
    by_stars = scored.query_ids(GalleryQuery(sort_key="stars"))
    assert set(by_stars[:2]) == set(ids[:2]) and len(by_stars) == 6
    queued = GalleryQuery(statuses=frozenset({ImageStatus.QUEUED}))
    assert len(scored.query_ids(queued)) == 1
    other_folder = GalleryQuery(folder_id=scored.folders()[0].id + 1)
    assert scored.query_ids(other_folder) == []


def test_rows_keep_the_requested_order(scored):
    ids = scored.query_ids(GalleryQuery())
    assert [r.id for r in scored.rows(list(reversed(ids)))] == list(reversed(ids))
    assert scored.rows([ids[0], 999_999]) == scored.rows([ids[0]])


def test_top_n_returns_only_scored_best_first(scored):
    best = scored.top_n(3)
    assert [r.overall for r in best] == [0.7, 0.6, 0.5]
    assert len(scored.top_n(100, key="environment")) == 5


def test_ratings_change_only_given_fields_and_validate(scored):
    image_id = scored.query_ids(GalleryQuery())[0]
    scored.set_rating([image_id], stars=4, color="red")
    scored.set_rating([image_id], flag=Flag.PICKED)
    rating = scored.rows([image_id])[0].rating
    assert (rating.stars, rating.flag, rating.color) == (4, Flag.PICKED, "red")
    scored.set_rating([image_id], color="")
    assert scored.rows([image_id])[0].rating.color is None
    for bad in ({"stars": 6}, {"color": "magenta"}, {"flag": 7}):
        with pytest.raises(ValueError):
            scored.set_rating([image_id], **bad)


def test_ratings_survive_rescoring(scored):
    image_id = scored.query_ids(GalleryQuery())[0]
    scored.set_rating([image_id], stars=5, flag=Flag.PICKED)
    scored.request_assessment(image_id, annotate=True)
    (job,) = scored.claim_jobs(1, SYNTHETIC_MODEL.key, PROFILE.key)
    scored.store_assessment(job, make_assessment(0.1, annotation="text"))
    row = scored.rows([image_id])[0]
    assert (row.overall, row.rating.stars, row.rating.flag) == (0.1, 5, Flag.PICKED)


def test_export_rows_carry_scores_ratings_and_model_identity(scored):
    first = scored.query_ids(GalleryQuery())[0]
    scored.set_rating([first], stars=2, flag=Flag.REJECTED, color="blue")
    rows = list(scored.export_rows())
    assert len(rows) == 6 and all(tuple(r) == EXPORT_FIELDS for r in rows)
    best = next(r for r in rows if r["overall"] == 0.7)
    assert best["synthetic"] is True and best["model_repo"] == "synthetic/tiny"
    assert (best["stars"], best["flag"], best["color"]) == (2, "rejected", "blue")
    assert best["profile"] == PROFILE.key and best["level"] == "good"
    unscored = next(r for r in rows if r["status"] == "queued")
    assert unscored["overall"] is None and unscored["synthetic"] is None
    picked_only = list(scored.export_rows(GalleryQuery(flags=frozenset({Flag.REJECTED}))))
    assert [r["overall"] for r in picked_only] == [0.7]


def test_concurrent_worker_watcher_and_gui_threads(library, photo_dir):
    """Writers from three threads and a reader at once: no error, nothing lost."""
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    errors: list[BaseException] = []
    stop = threading.Event()

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)
                stop.set()

        return threading.Thread(target=run)

    def worker():
        while not stop.is_set():
            claimed = library.claim_jobs(1, SYNTHETIC_MODEL.key, PROFILE.key)
            if not claimed:
                return
            library.store_assessment(claimed[0], make_assessment(0.5))

    def rater():
        ids = library.query_ids(GalleryQuery())
        for i in range(60):
            library.set_rating([ids[i % len(ids)]], stars=i % 6)

    def watcher():
        for _ in range(30):
            library.apply_fs_changes(modified=[str(p) for p in photo_dir.rglob("*.png")])

    def gui():
        while not stop.is_set():
            library.rows(library.query_ids(GalleryQuery(sort_key="overall")))
            library.data_version()

    threads = [guarded(f) for f in (worker, rater, watcher)]
    reader = guarded(gui)
    for t in (*threads, reader):
        t.start()
    for t in threads:
        t.join(timeout=60)
    stop.set()
    reader.join(timeout=60)
    assert errors == []
    assert library.status_counts()[ImageStatus.SCORED] == 6
    ids = library.query_ids(GalleryQuery())
    assert library.rows(ids)[0].rating.stars in range(6)
    assert library.queue_counts().queued == 0


def test_score_all_helper_scores_everything(library, photo_dir):
    library.scan_folder(library.add_folder(photo_dir).id)
    assert len(score_all(library)) == 6


def test_two_library_objects_on_one_file_write_side_by_side(library, photo_dir):
    """Like the GUI and a `humanaes watch` process sharing one library: SQLite's lock waits."""
    from humanaes_desktop.library import Library

    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    other = Library.open(library.path)
    errors: list[BaseException] = []

    def rate(lib, stars):
        try:
            ids = lib.query_ids(GalleryQuery())
            for _ in range(40):
                lib.set_rating(ids, stars=stars)
                lib.request_assessment(ids[0])
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=rate, args=(library, 2)),
            threading.Thread(target=rate, args=(other, 4)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        stars = {r.rating.stars for r in other.rows(other.query_ids(GalleryQuery()))}
        assert len(stars) == 1 and stars <= {2, 4}  # each batch applied whole, never mixed
    finally:
        other.close()


def test_name_filter_in_one_folder_and_everywhere_ignores_case_and_missing_photos(
    scored, photo_dir
):
    folder_id = scored.folders()[0].id
    (photo_dir / "coffee.png").unlink()
    scored.apply_fs_changes(deleted=[str(photo_dir / "coffee.png")])
    for where in (None, folder_id):
        by_name = GalleryQuery(sort_key="file_name", descending=False, folder_id=where)
        assert _names(scored, replace(by_name, text="O")) == [
            "astronaut.png",
            "grace_hopper.jpg",
            "rocket.jpg",
        ], where
        assert _names(scored, replace(by_name, text="E_H")) == ["grace_hopper.jpg"], where
        assert _names(scored, replace(by_name, text="e%h")) == [], where


def test_rating_a_selection_that_includes_a_purged_photo_rates_the_rest(scored, photo_dir):
    """The gallery may still hold the id of a photo purged a moment ago."""
    ids = scored.query_ids(GalleryQuery(sort_key="file_name", descending=False))
    (photo_dir / "camera.png").unlink()
    scored.apply_fs_changes(deleted=[str(photo_dir / "camera.png")])
    assert scored.purge_missing() == 1
    scored.set_rating(ids, stars=4, flag=Flag.PICKED)
    rows = scored.rows(ids)
    assert len(rows) == 5 and all(r.rating.stars == 4 for r in rows)
    assert all(r.rating.flag is Flag.PICKED for r in rows)
