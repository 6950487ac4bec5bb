"""The gallery's sorts and filters from in-memory arrays give what SQL gives, and stay right as
the library changes (ratings, scores, new, renamed, deleted and purged photos, other processes).
"""

from __future__ import annotations

import logging
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from humanaes_desktop.engine.dimensions import LEVELS
from humanaes_desktop.library import Library, queries
from humanaes_desktop.library.arrays.gallery_arrays import GalleryArrays
from humanaes_desktop.library.records import Flag, GalleryQuery, ImageStatus
from humanaes_desktop.library.taste_store import TASTE_FEATURES
from tests.support.assessments import make_assessment
from tests.support.gallery_arrays import (
    generator,
    loaded_library,
    promised_order,
    random_query,
    raw_values,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3,000 synthetic photos in 5 folders (96% scored, 10% rated, some queued and failed)."""
    lib = loaded_library(tmp_path_factory.mktemp("gen") / "lib.sqlite3", 3000, 600, seed=7)
    yield lib
    lib.close()


@pytest.fixture
def on_disk(tmp_path):
    """400 synthetic photos with real (tiny) files in 2 folders, arrays loaded."""
    lib = loaded_library(tmp_path / "lib.sqlite3", 400, 200, seed=3, files=True)
    yield lib
    lib.close()


def check(lib: Library, query: GalleryQuery) -> list[int]:
    """The arrays' answer is SQL's set, in the promised order, and a fresh load agrees."""
    got = lib.gallery_ids(query).ids.tolist()
    sql = queries.query_ids(lib._db, query)
    assert sorted(got) == sorted(sql), query
    assert got == promised_order(lib.path, query, sql), query
    values = raw_values(lib.path, query.sort_key)
    assert [values[i] for i in got] == [values[i] for i in sql], query  # SQL's order, ties aside
    fresh = GalleryArrays(lib._db)
    fresh.load()
    assert fresh.query_ids(query).tolist() == got, query
    return got


def test_any_sort_and_filter_combination_matches_sql(generated):
    rng = random.Random(13)
    folders = [f.id for f in generated.folders()]
    for _ in range(150):
        query = random_query(rng, folders)
        got = generated.gallery_ids(query).ids.tolist()
        sql = queries.query_ids(generated._db, query)
        assert sorted(got) == sorted(sql), query
        assert got == promised_order(generated.path, query, sql), query


def test_every_sort_key_in_both_directions_matches_sql(generated):
    for key in [k for k in queries.SORT_KEYS if k != "taste"]:
        for descending in (True, False):
            query = GalleryQuery(sort_key=key, descending=descending)
            got = generated.gallery_ids(query).ids.tolist()
            sql = queries.query_ids(generated._db, query)
            values = raw_values(generated.path, key)
            assert len(got) == len(sql) > 2800
            assert [values[i] for i in got] == [values[i] for i in sql], key


def test_query_ids_and_top_n_use_the_arrays_with_the_same_answers(generated):
    query = GalleryQuery(sort_key="looks", levels=frozenset({"good"}))
    assert generated.query_ids(query) == generated.gallery_ids(query).ids.tolist()
    best = generated.top_n(5, "environment", folder_id=2)
    sql = queries.query_ids(
        generated._db, GalleryQuery(sort_key="environment", folder_id=2), limit=5
    )
    environment = raw_values(generated.path, "environment")
    assert [environment[r.id] for r in best] == [environment[i] for i in sql]  # ties may differ
    assert all(r.folder_id == 2 and r.overall is not None for r in best)


def test_unknown_sort_keys_and_levels_are_refused_as_in_sql(generated):
    with pytest.raises(ValueError, match="unknown sort key"):
        generated.gallery_ids(GalleryQuery(sort_key="shoe_size"))
    with pytest.raises(ValueError, match="unknown levels"):
        generated.gallery_ids(GalleryQuery(levels=frozenset({"superb"})))


def test_ratings_scores_and_failures_are_followed(on_disk):
    lib = on_disk
    unscored = lib.query_ids(GalleryQuery(statuses=frozenset({ImageStatus.QUEUED})))
    assert len(unscored) >= 4
    lib.set_rating(unscored[:3] + [1, 2], stars=5, flag=Flag.PICKED, color="red")
    lib.record_assessment(unscored[0], make_assessment(0.995))
    lib.record_assessment(unscored[1], make_assessment(0.005))
    lib.record_failure(unscored[2], "broken on purpose")
    top = check(lib, GalleryQuery(sort_key="overall"))
    overall = raw_values(lib.path, "overall")
    scored = [i for i in top if overall[i] is not None]
    assert scored[0] == unscored[0] and scored[-1] == unscored[1]
    picked = check(lib, GalleryQuery(flags=frozenset({Flag.PICKED}), min_stars=5))
    assert {unscored[0], unscored[1], 1, 2} <= set(picked)
    failed = check(lib, GalleryQuery(statuses=frozenset({ImageStatus.FAILED})))
    assert unscored[2] in failed
    check(lib, GalleryQuery(sort_key="stars", descending=True))
    check(lib, GalleryQuery(sort_key="status", descending=False))


def _folder_of(lib: Library, image_id: int) -> Path:
    return Path(lib.rows([image_id])[0].path)


def test_new_renamed_deleted_and_purged_photos_are_followed(on_disk):
    lib = on_disk
    first, second, third = (_folder_of(lib, i) for i in (5, 6, 7))
    renamed = first.with_name("AAA_renamed.png")
    first.rename(renamed)
    second.unlink()
    arrival = third.with_name("ZZZ_new.png")
    shutil.copy(third, arrival)
    arrival.write_bytes(arrival.read_bytes() + b"different")
    lib.apply_fs_changes(created=[str(arrival)], deleted=[str(second)],
                         moved=[(str(first), str(renamed))])  # fmt: skip
    by_name = check(lib, GalleryQuery(sort_key="file_name", descending=False))
    new_id = lib.image_ids_at([arrival])[str(arrival)]
    assert by_name[0] == 5 and by_name[-1] == new_id and 6 not in by_name
    assert check(lib, GalleryQuery(text="aaa_REN")) == [5]
    assert check(lib, GalleryQuery(text="IMG_000005")) == []  # id 6, deleted
    check(lib, GalleryQuery(sort_key="mtime", statuses=frozenset(ImageStatus)))
    assert lib.purge_missing() == 1
    check(lib, GalleryQuery(statuses=frozenset(ImageStatus), sort_key="captured_at"))
    folder = lib.folders()[0]
    lib.remove_folder(folder.id)
    remaining = check(lib, GalleryQuery(sort_key="fast_score"))
    assert remaining and all(r.folder_id != folder.id for r in lib.rows(remaining))


def test_a_write_by_another_process_is_seen_by_the_next_query(on_disk):
    lib = on_disk
    script = (
        "import sys; sys.path.insert(0, sys.argv[2])\n"
        "from humanaes_desktop.library import Library\n"
        "with Library.open(sys.argv[1]) as lib: lib.set_rating([9], stars=4, color='blue')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(lib.path), str(REPO)], check=True)
    assert check(lib, GalleryQuery(min_stars=4, sort_key="file_name")).count(9) == 1


def test_changes_to_most_photos_reload_everything(on_disk, caplog):
    lib = on_disk
    ids = lib.query_ids(GalleryQuery(statuses=frozenset(ImageStatus)))
    with caplog.at_level(logging.INFO, logger="humanaes_desktop.library.arrays"):
        lib.set_rating(ids[: len(ids) * 3 // 4], stars=2)
        assert check(lib, GalleryQuery(min_stars=2, sort_key="stars"))
    assert any("reading the gallery columns again" in r.message for r in caplog.records)


def test_before_loading_a_first_page_comes_from_sql_and_says_so(tmp_path):
    module = generator()
    path = module.build_library(tmp_path / "lib.sqlite3", 300, seed=1)
    with Library.open(path) as lib:
        assert not lib.gallery_arrays_ready
        page = lib.gallery_ids(GalleryQuery(), first_page=50)
        assert not page.complete and page.ids.tolist() == lib.query_ids(GalleryQuery())[:50]
        few = lib.gallery_ids(GalleryQuery(min_stars=5), first_page=50)
        assert few.complete and len(few) < 50
        progress: list[tuple[int, int]] = []
        assert lib.load_gallery_arrays(lambda done, total: progress.append((done, total))) == 300
        assert progress[0] == (0, 300) and progress[-1] == (300, 300)
        whole = lib.gallery_ids(GalleryQuery(), first_page=50)
        assert whole.complete and len(whole) == len(lib.query_ids(GalleryQuery()))


def test_taste_sort_uses_the_learnt_weights_or_refuses(generated):
    with pytest.raises(queries.TasteNotLearntError, match="no taste has been learnt"):
        generated.gallery_ids(GalleryQuery(sort_key="taste"))
    weights = {name: 0.0 for name in TASTE_FEATURES}
    weights["environment"], weights["level"] = 1.0, -0.25
    generated.save_taste({"offered": True, "column_weights": weights}, ratings=40)
    try:
        got = generated.gallery_ids(GalleryQuery(sort_key="taste")).ids.tolist()
        assert sorted(got) == sorted(
            queries.query_ids(generated._db, GalleryQuery(sort_key="taste"))
        )
        env = raw_values(generated.path, "environment")
        levels = dict(_rows(generated.path, "SELECT id, level FROM images"))
        utility = [None if env[i] is None else env[i] - 0.25 * LEVELS.index(levels[i]) for i in got]
        scored = [u for u in utility if u is not None]
        assert all(a >= b - 1e-5 for a, b in zip(scored, scored[1:], strict=False))
        assert utility[len(scored) :] == [None] * (len(utility) - len(scored))
    finally:
        generated.reset_taste()
    with pytest.raises(queries.TasteNotLearntError):
        generated.gallery_ids(GalleryQuery(sort_key="taste"))


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
