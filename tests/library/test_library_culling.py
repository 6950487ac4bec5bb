"""The first pass and grouping on a real library: signals stored per photo, bursts and sets
stored with their picks, badges and filters on gallery rows, export, accept/undo, and the
background worker keeping up with the watcher."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from humanaes_desktop.engine.culling import SIGNALS_VERSION
from humanaes_desktop.engine.culling.grouping import GroupingSettings
from humanaes_desktop.library.records import Flag, GalleryQuery
from humanaes_desktop.pipeline.first_pass import FirstPassWorker
from tests.support.assessments import PROFILE, SYNTHETIC_MODEL, make_assessment
from tests.support.culling_library import build_analysed, open_copy
from tests.support.photos import PHOTOS_DIR
from tests.support.waiting import wait_until


def _shoot_part(generated_shoot) -> list[Path]:
    """Both bursts, the bracket and the flat frames: 25 photos."""
    frames = [p for frames in generated_shoot.bursts.values() for p in frames]
    return [*frames, *generated_shoot.bracket, *generated_shoot.flat]


@pytest.fixture(scope="module")
def template(tmp_path_factory, generated_shoot):
    root = tmp_path_factory.mktemp("culling_library")
    key = build_analysed(root / "shoot", root / "template.sqlite3", _shoot_part(generated_shoot))
    return root / "template.sqlite3", root / "shoot", key


@pytest.fixture
def shoot_folder(template) -> Path:
    """The template's photo folder: read-only for the tests."""
    return template[1]


class _Key:
    def __init__(self, key: str) -> None:
        self.backend_key = key


@pytest.fixture
def analysed(template, tmp_path):
    library = open_copy(template[0], tmp_path / "library.sqlite3")
    folder = library.folders()[0]
    yield library, folder, _Key(template[2])
    library.close()


def _by_name(library, ids=None):
    ids = library.query_ids(GalleryQuery(sort_key="file_name")) if ids is None else ids
    return {row.file_name: row for row in library.rows(ids)}


def test_every_photo_gets_signals_and_badges(analysed):
    library, _, worker = analysed
    rows = _by_name(library)
    assert all(row.culling is not None for row in rows.values())
    assert rows["astronaut_burst02.jpg"].culling.eyes_closed
    assert "eyes closed" in rows["astronaut_burst02.jpg"].culling.badges()
    assert rows["astronaut_burst06.jpg"].culling.soft
    assert rows["astronaut_burst00.jpg"].culling.face_count == 1
    assert rows["flat_black0.jpg"].culling.face_count == 0
    assert library.count_first_pass_waiting(worker.backend_key) == 0
    assert len(rows) == 25
    details = library.signals_details([rows["grace_hopper_burst00.jpg"].id])
    assert next(iter(details.values()))["version"] == SIGNALS_VERSION


def test_bursts_and_brackets_are_stored_with_their_picks(analysed, generated_shoot):
    library, folder, _ = analysed
    groups = library.groups(folder.id)
    kinds = sorted(g.kind for g in groups)
    assert kinds == ["bracket", "burst", "burst"]
    roles = generated_shoot.burst_roles
    for group in groups:
        names = [Path(m.path).name for m in group.members]
        if group.keep_whole:
            assert group.pick is None and all(m.reasons == ("keep_whole",) for m in group.members)
            continue
        assert len(names) == 8
        pick = Path(group.pick.path).name
        assert pick not in {names[roles["motion"]], names[roles["defocus"]]}
        if names[0].startswith("astronaut"):
            assert pick != names[roles["blink"]]
            assert "eyes closed" in group.members[roles["blink"]].reason_text
    rows = _by_name(library)
    assert sum(r.culling.is_pick for r in rows.values()) == 2
    assert rows["bracket_1.jpg"].culling.group_kind == "bracket"
    assert rows["astronaut_burst03.jpg"].culling.group_size == 8
    assert library.groups(image_id=rows["bracket_1.jpg"].id)[0].kind == "bracket"


def test_filters_on_marks_and_best_of_each_burst(analysed):
    library, _, _ = analysed
    closed = _by_name(library, library.query_ids(GalleryQuery(marks=frozenset({"eyes_closed"}))))
    assert set(closed) == {"astronaut_burst02.jpg"}
    soft = _by_name(library, library.query_ids(GalleryQuery(marks=frozenset({"soft"}))))
    assert "astronaut_burst06.jpg" in soft and "astronaut_burst00.jpg" not in soft
    faces = library.query_ids(GalleryQuery(marks=frozenset({"faces"})))
    assert len(faces) == 16
    best = _by_name(library, library.query_ids(GalleryQuery(best_of_bursts=True)))
    assert len(best) == 25 - 14  # each 8-frame burst shows its pick only; sets stay whole
    with pytest.raises(ValueError, match="unknown marks"):
        library.query_ids(GalleryQuery(marks=frozenset({"blurry"})))


def test_export_carries_the_signals(analysed):
    library, _, _ = analysed
    rows = {Path(r["path"]).name: r for r in library.export_rows()}
    blink = rows["astronaut_burst02.jpg"]
    assert blink["eyes_closed"] is True and blink["face_count"] == 1
    assert blink["group_kind"] == "burst" and "eyes_closed" in blink["pick_reasons"]
    assert len(blink["phash"]) == 16 and blink["time_source"] == "exif+subsec"
    assert sum(bool(r["suggested_pick"]) for r in rows.values()) == 2
    assert rows["bracket_0.jpg"]["suggested_pick"] is None


def test_accepting_the_picks_is_one_undoable_batch(analysed):
    library, folder, _ = analysed
    picks = library.suggested_picks(folder.id)
    rows = _by_name(library)
    already = rows["bracket_0.jpg"].id
    library.set_rating([already, picks[0]], flag=Flag.REJECTED)
    previous = library.accept_suggested_picks(folder.id)
    assert set(previous) == set(picks)
    after = {r.id: r.rating.flag for r in library.rows(picks + [already])}
    assert all(after[p] == Flag.PICKED for p in picks) and after[already] == Flag.REJECTED
    library.restore_flags(previous)
    restored = {r.id: r.rating.flag for r in library.rows(picks)}
    assert restored[picks[0]] == Flag.REJECTED and restored[picks[1]] == Flag.NONE


def test_regrouping_unchanged_photos_writes_nothing(analysed):
    library, folder, _ = analysed
    version = library.data_version()
    assert library.regroup_folder(folder.id) == 0
    assert library.data_version() == version
    # A much longer gap changes nothing here (the bursts are already whole), a tiny one splits.
    assert library.regroup_folder(folder.id, GroupingSettings(burst_gap_s=0.05)) > 0
    assert all(g.kind == "bracket" for g in library.groups(folder.id))


def test_a_changed_file_and_a_new_backend_get_a_new_first_pass(library, tmp_path, generated_shoot):
    frames = generated_shoot.bursts["astronaut"][:2]
    key = build_analysed(tmp_path / "own", tmp_path / "own.sqlite3", frames)
    library.close()
    with open_copy(tmp_path / "own.sqlite3", tmp_path / "copy.sqlite3") as own:
        folder = own.folders()[0]
        target = Path(folder.path) / frames[1].name
        shutil.copy2(generated_shoot.bursts["grace_hopper"][0], target)
        os.utime(target, (1e9, 1e9))
        own.scan_folder(folder.id)
        waiting = own.first_pass_tasks(key, 10)
        assert [Path(t.path).name for t in waiting] == [frames[1].name]
        assert len(own.first_pass_tasks("another-backend/1", 100)) == 2


def test_an_undecodable_photo_is_recorded_once_not_retried(library, tmp_path):
    folder_path = tmp_path / "bad"
    folder_path.mkdir()
    (folder_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 400)
    folder = library.add_folder(folder_path)
    library.scan_folder(folder.id)
    worker = FirstPassWorker(library, threads=1)
    worker.run_until_idle()
    assert library.count_first_pass_waiting(worker.backend_key) == 0
    assert library.groups(folder.id) == []


def test_the_background_worker_follows_new_photos(library, shoot_folder, tmp_path):
    """Photos copied into a watched folder get their signals and stacks without a rescan."""
    from humanaes_desktop.library.watch import FolderWatcher

    burst = sorted(shoot_folder.glob("grace_hopper_burst*.jpg"))
    target = tmp_path / "incoming"
    target.mkdir()
    folder = library.add_folder(target)
    stored = threading.Event()
    worker = FirstPassWorker(library, threads=1, on_change=lambda _f: stored.set())
    watcher = FolderWatcher(library, on_change=worker.wake, settle_s=0.2)
    watcher.start()
    worker.start()
    try:
        for path in burst:
            shutil.copy2(path, target / path.name)
        deadline = 120.0
        while deadline > 0:
            assert stored.wait(timeout=30.0), "no first pass result arrived"
            stored.clear()
            groups = library.groups(folder.id)
            if groups and len(groups[0].members) == 8:
                break
            deadline -= 30.0
        assert len(groups) == 1 and groups[0].pick is not None
    finally:
        watcher.stop()
        assert worker.stop(timeout=30)


def test_regrouping_only_the_new_scenes_gives_what_a_full_regroup_gives(analysed):
    library, folder, _ = analysed
    full = {g.key: g for g in library.groups(folder.id)}
    last_scene_start = max(g.scene_key for g in full.values())
    bracket = next(g for g in full.values() if g.kind == "bracket")
    details = library.signals_details([bracket.members[0].image_id])
    since = next(iter(details.values()))["capture"]["time"]
    assert library.regroup_folder(folder.id, since=since) == 0  # same rows: nothing written
    assert {g.key: g for g in library.groups(folder.id)} == full
    assert last_scene_start in {g.scene_key for g in full.values()}


def test_embeddings_from_scoring_are_kept_and_split_scenes(analysed):
    import numpy as np

    from humanaes_desktop.engine.culling.embedding import compact_embedding

    library, folder, _ = analysed
    rows = _by_name(library)
    ids = sorted(rows[n].id for n in rows)
    rng = np.random.default_rng(1)
    look_a, look_b = rng.standard_normal(64), rng.standard_normal(64)
    # Both bursts (identical times) look one way, the bracket and flat frames another.
    vectors = {
        row.id: compact_embedding(look_a if "burst" in name else look_b)
        for name, row in rows.items()
    }
    before = {g.scene_key for g in library.groups(folder.id)}
    library.store_embeddings("synthetic/tiny@local#0", vectors)
    library.regroup_folder(folder.id, GroupingSettings(scene_gap_s=1e9))
    after = {g.scene_key for g in library.groups(folder.id)}
    assert len(ids) == 25 and len(before) == 1 and len(after) == 2


def test_a_stored_assessment_keeps_its_embedding(library, shoot_folder):
    from dataclasses import replace

    from humanaes_desktop.library.schema import EmbeddingOrm

    folder = library.add_folder(shoot_folder)
    library.scan_folder(folder.id)
    job = library.claim_jobs(1, SYNTHETIC_MODEL.key, PROFILE.key)[0]
    library.store_assessment(job, replace(make_assessment(0.7), embedding=b"\x01\x02" * 256))
    with library._db.read() as session:
        stored = session.get(EmbeddingOrm, job.image_id)
    assert stored.vector == b"\x01\x02" * 256 and stored.model_key == SYNTHETIC_MODEL.key


def test_a_failing_backend_is_recorded_and_does_not_stall_the_queue(library, tmp_path, caplog):
    from humanaes_desktop.library.schema import SignalsOrm

    class BrokenBackend:
        key = "broken/1"

        def detect(self, gray):
            raise RuntimeError("cascade exploded")

    folder_path = tmp_path / "one"
    folder_path.mkdir()
    shutil.copy2(PHOTOS_DIR / "coffee.png", folder_path / "coffee.png")
    library.scan_folder(library.add_folder(folder_path).id)
    worker = FirstPassWorker(library, threads=1, backend_factory=BrokenBackend)
    assert worker.run_until_idle() == 1
    assert library.count_first_pass_waiting("broken/1") == 0
    with library._db.read() as session:
        (row,) = session.query(SignalsOrm).all()
    assert "cascade exploded" in row.error
    assert "first pass of" in caplog.text


def test_damaged_files_get_a_reasoned_first_pass_failure(library, tmp_path):
    from humanaes_desktop.library.schema import ImageOrm, SignalsOrm
    from tests.support.failure_corpus import write_corpus

    expected = write_corpus(tmp_path / "corpus")
    library.scan_folder(library.add_folder(tmp_path / "corpus").id)
    worker = FirstPassWorker(library, threads=2)
    worker.run_until_idle()
    assert library.count_first_pass_waiting(worker.backend_key) == 0
    with library._db.read() as session:
        rows = session.query(ImageOrm.rel_path, SignalsOrm.error).join(SignalsOrm).all()
    errors = dict(rows)
    # Every photo the scan did not rule out got a first pass: signals, or the decoder's reason.
    readable = {name for name, e in expected.items() if e.status != "unsupported"}
    assert set(errors) == readable
    for name in readable:
        if expected[name].error is None:
            assert errors[name] is None, f"{name}: {errors[name]}"
        else:  # the same sentence the scorer gives, naming the file
            assert errors[name] and errors[name].startswith(f"{name}: "), errors[name]
            assert "first pass failed" not in errors[name]  # a reason, not an unexpected error


def test_stopping_leaves_the_photos_not_yet_begun_for_the_next_start(library, tmp_path):
    entered, release = threading.Event(), threading.Event()
    detected = []

    class HeldBackend:  # the first photo is held inside the pass until the test lets it go
        key = "held/1"

        def detect(self, gray):
            detected.append(gray.shape)
            entered.set()
            release.wait(10)
            return []

    folder_path = tmp_path / "many"
    folder_path.mkdir()
    for number in range(6):
        shutil.copy2(PHOTOS_DIR / "coffee.png", folder_path / f"coffee{number}.png")
    library.scan_folder(library.add_folder(folder_path).id)
    worker = FirstPassWorker(library, threads=1, backend_factory=HeldBackend)
    worker.start()
    assert entered.wait(30), "the first pass never began"
    stopper = threading.Thread(target=worker.stop, kwargs={"timeout": 30})
    stopper.start()
    wait_until(worker._stopping, what="stop() to be asked")
    release.set()
    stopper.join(30)
    assert not stopper.is_alive() and len(detected) == 1  # one photo, not the whole batch
    assert library.count_first_pass_waiting("held/1") == 5
    again = FirstPassWorker(library, threads=1, backend_factory=HeldBackend)
    again.run_until_idle()
    assert library.count_first_pass_waiting("held/1") == 0 and len(detected) == 6
