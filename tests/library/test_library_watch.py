"""The folder watcher with real inotify: copies, renames, deletions, slow writers, bursts, roots
that vanish and return."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter

import pytest

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import GalleryQuery, ImageStatus, ScanReport
from humanaes_desktop.library.watch import FolderWatcher
from humanaes_desktop.library.watch_pending import PendingChanges
from tests.support.libraries import score_all
from tests.support.photos import PHOTOS_DIR
from tests.support.waiting import wait_until

ALL = GalleryQuery(sort_key="file_name", descending=False, statuses=frozenset(ImageStatus))


class RecordingLibrary(Library):
    """The real library, remembering every batch the watcher applied."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.created: Counter[str] = Counter()  # how often each path was handed in as created
        self.reports: list[ScanReport] = []
        self.lock = threading.Lock()

    def apply_fs_changes(self, created=(), modified=(), deleted=(), moved=()):
        created = list(created)
        report = super().apply_fs_changes(created, modified, deleted, moved)
        with self.lock:
            self.created.update(created)
            self.reports.append(report)
        return report

    def total(self) -> ScanReport:
        with self.lock:
            return sum(self.reports, ScanReport())


@pytest.fixture
def watched(tmp_path, photo_dir):
    lib = RecordingLibrary.open(tmp_path / "watched.sqlite3")
    folder = lib.add_folder(photo_dir)
    changes = threading.Event()
    watcher = FolderWatcher(lib, on_change=changes.set, settle_s=0.4)
    watcher.start()
    lib.scan_folder(folder.id)
    yield lib, photo_dir, changes
    watcher.stop()
    lib.close()


def _counts(lib: Library, *statuses: str) -> tuple[int, ...]:
    counts = lib.status_counts()
    return tuple(counts[ImageStatus(status)] for status in statuses)


def _names(lib: Library) -> dict:
    return {row.file_name: row for row in lib.rows(lib.query_ids(ALL))}


def test_copied_in_photo_is_queued_and_change_reported(watched):
    lib, folder, changes = watched
    changes.clear()
    shutil.copy(PHOTOS_DIR / "chelsea.png", folder / "new_cat.png")
    wait_until(lambda: "new_cat.png" in _names(lib), what="the copied photo")
    assert _names(lib)["new_cat.png"].status is ImageStatus.QUEUED
    assert changes.is_set()
    assert lib.queue_counts().queued == 7


def test_rename_keeps_identity_and_delete_marks_missing(watched):
    lib, folder, _ = watched
    score_all(lib)
    before = _names(lib)["coffee.png"]
    os.rename(folder / "coffee.png", folder / "espresso.png")
    wait_until(lambda: "espresso.png" in _names(lib), what="the rename")
    after = _names(lib)["espresso.png"]
    assert (after.id, after.overall, after.status) == (
        before.id,
        before.overall,
        ImageStatus.SCORED,
    )
    assert "coffee.png" not in _names(lib)
    os.remove(folder / "espresso.png")
    wait_until(lambda: _names(lib)["espresso.png"].status is ImageStatus.MISSING, what="deletion")


def test_directory_moved_in_brings_its_photos(watched, tmp_path):
    lib, folder, _ = watched
    outside = tmp_path / "card"
    outside.mkdir()
    for name in ("astronaut.png", "grace_hopper.jpg"):
        shutil.copy(PHOTOS_DIR / name, outside / f"card_{name}")
    os.rename(outside, folder / "card")
    wait_until(lambda: {"card_astronaut.png", "card_grace_hopper.jpg"} <= set(_names(lib)))
    assert _names(lib)["card_astronaut.png"].path == str(folder / "card" / "card_astronaut.png")


def test_slowly_written_file_is_queued_once_and_only_when_complete(watched):
    lib, folder, _ = watched
    data = (PHOTOS_DIR / "grace_hopper.jpg").read_bytes()
    target = folder / "slow.jpg"
    chunk = len(data) // 6 + 1
    with open(target, "wb") as handle:
        for start in range(0, len(data), chunk):
            handle.write(data[start : start + chunk])
            handle.flush()
            time.sleep(0.15)  # the writer is slow on purpose (pauses shorter than settle_s)
            assert "slow.jpg" not in _names(lib), "queued before the file was complete"
    wait_until(lambda: "slow.jpg" in _names(lib), what="the completed file")
    row = _names(lib)["slow.jpg"]
    assert (row.status, row.size, row.width) == (ImageStatus.QUEUED, len(data), 512)
    # The row is visible once the batch's transaction commits; the batch (which then reads
    # back sidecars) is recorded when it returns.
    wait_until(lambda: lib.created[str(target)] >= 1, what="the batch to return")
    assert lib.created[str(target)] == 1
    assert (lib.total().added, lib.total().changed) == (1, 0)


def test_burst_of_500_files_none_lost_none_twice(watched, tmp_path):
    lib, folder, _ = watched
    source = (PHOTOS_DIR / "camera.png").read_bytes()
    burst = folder / "burst"
    burst.mkdir()
    for i in range(500):
        # Distinct content, so no file can be taken for a moved copy of another.
        (burst / f"b{i:04d}.png").write_bytes(source + i.to_bytes(4, "little"))
    wait_until(lambda: lib.queue_counts().queued == 506, timeout=60, what="500 queued files")
    wait_until(lambda: lib.total().added >= 500, what="the batches to return")
    burst_paths = [p for p in lib.created if "/burst/" in p]
    assert len(burst_paths) == 500
    assert (lib.total().added, lib.total().changed) == (500, 0)
    assert lib.status_counts()[ImageStatus.QUEUED] == 506


def test_root_that_vanishes_and_returns(watched, tmp_path):
    lib, folder, _ = watched
    score_all(lib)
    shutil.move(folder, tmp_path / "unplugged")
    wait_until(lambda: lib.status_counts()[ImageStatus.MISSING] == 6, what="images missing")
    assert lib.folders()[0].available is False
    shutil.move(tmp_path / "unplugged", folder)
    wait_until(lambda: lib.status_counts()[ImageStatus.SCORED] == 6, what="images back")
    assert lib.folders()[0].available is True
    shutil.copy(PHOTOS_DIR / "rocket.jpg", folder / "after_return.jpg")  # watched again
    wait_until(lambda: "after_return.jpg" in _names(lib), what="a file after the return")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_file_without_close_event_is_ready_once_its_size_is_stable(tmp_path):
    """Writers on mounts that send no close event: quiet for settle_s and same size."""
    clock = FakeClock()
    pending = PendingChanges(settle_s=1.0, clock=clock)
    path = tmp_path / "upload.jpg"
    path.write_bytes(b"x" * 10)
    pending.written(str(path))
    clock.now += 0.5
    assert pending.take_ready().created == []  # not quiet long enough
    path.write_bytes(b"x" * 20)  # grew without an event reaching us
    clock.now += 1.0
    assert pending.take_ready().created == []  # size changed: wait another period
    clock.now += 1.0
    assert pending.take_ready().created == [str(path)]
    assert not pending.has_pending()


def test_pending_changes_coalesce_create_delete_and_moves(tmp_path):
    pending = PendingChanges(settle_s=1.0, clock=FakeClock())
    pending.written("/w/a.jpg")
    pending.deleted("/w/a.jpg")  # created and gone before it completed: only a deletion
    pending.written("/w/b.jpg.part")
    pending.moved("/w/b.jpg.part", "/w/b.jpg")  # a browser download finishing
    pending.closed("/w/b.jpg")
    batch = pending.take_ready()
    assert batch.created == ["/w/b.jpg"] and batch.deleted == ["/w/a.jpg"]
    assert batch.moved == [("/w/b.jpg.part", "/w/b.jpg")]


def test_photo_edited_in_place_is_requeued_once_keeping_its_rating(watched):
    lib, folder, _ = watched
    score_all(lib)
    camera = _names(lib)["camera.png"]
    lib.set_rating([camera.id], stars=3)
    shutil.copyfile(PHOTOS_DIR / "astronaut.png", folder / "camera.png")  # an edit: new content
    wait_until(lambda: _names(lib)["camera.png"].status is ImageStatus.QUEUED, what="re-queue")
    row = _names(lib)["camera.png"]
    assert (row.id, row.overall, row.rating.stars, row.width) == (camera.id, None, 3, 512)
    wait_until(lambda: lib.total().changed >= 1, what="the batch to return")
    assert lib.total().changed == 1 and lib.queue_counts().queued == 1


def test_root_the_system_refuses_to_watch_is_rescanned_instead(tmp_path, photo_dir, monkeypatch):
    """Past the inotify watch limit the folder still follows the disk, by periodic rescans."""
    from humanaes_desktop.library import watch

    def refuse(*_args, **_kwargs):
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watch, "FALLBACK_RESCAN_S", 0.5)
    lib = Library.open(tmp_path / "limited.sqlite3")
    lib.scan_folder(lib.add_folder(photo_dir).id)
    watcher = FolderWatcher(lib, settle_s=0.2)
    monkeypatch.setattr(watcher._observer, "schedule", refuse)
    watcher.start()
    try:
        shutil.copy(PHOTOS_DIR / "coffee.png", photo_dir / "latte.png")
        wait_until(lambda: "latte.png" in _names(lib), what="the rescan fallback")
    finally:
        watcher.stop()
        lib.close()


def test_root_deleted_and_recreated_between_two_polls_is_watched_again(watched, tmp_path):
    """A drive unmounted and mounted again quickly: no poll sees the root missing."""
    lib, folder, _ = watched
    score_all(lib)
    backup = tmp_path / "backup"
    shutil.copytree(folder, backup)
    (backup / "camera.png").unlink()  # removed while the drive was away
    shutil.copy(PHOTOS_DIR / "rocket.jpg", backup / "while_away.jpg")  # and one added
    shutil.rmtree(folder)
    shutil.copytree(backup, folder)
    wait_until(lambda: "while_away.jpg" in _names(lib), what="the returned folder rescanned")
    wait_until(lambda: _counts(lib, "scored", "missing") == (5, 1), what="photos back")
    assert _names(lib)["camera.png"].status is ImageStatus.MISSING
    shutil.copy(PHOTOS_DIR / "coffee.png", folder / "after_return.png")
    wait_until(lambda: "after_return.png" in _names(lib), what="a file after the return")


def test_photo_moved_between_two_watched_folders_keeps_its_rating(tmp_path, photo_dir):
    """Two roots, two inotify watches: the move arrives as a creation and a deletion."""
    second = tmp_path / "second"
    second.mkdir()
    lib = Library.open(tmp_path / "two.sqlite3")
    for folder in (photo_dir, second):
        lib.scan_folder(lib.add_folder(folder).id)
    watcher = FolderWatcher(lib, settle_s=0.2)
    watcher.start()
    try:
        score_all(lib)
        coffee = _names(lib)["coffee.png"]
        lib.set_rating([coffee.id], stars=4)
        os.rename(photo_dir / "coffee.png", second / "coffee.png")
        wait_until(lambda: _names(lib)["coffee.png"].path == str(second / "coffee.png"))
        wait_until(lambda: lib.status_counts()[ImageStatus.SCORED] == 6, what="settled")
        row = _names(lib)["coffee.png"]
        assert (row.id, row.status, row.rating.stars) == (coffee.id, ImageStatus.SCORED, 4)
        assert lib.status_counts()[ImageStatus.MISSING] == 0
    finally:
        watcher.stop()
        lib.close()


def test_refresh_takes_a_folder_added_while_watching_at_once(tmp_path, photo_dir, monkeypatch):
    """The app adds a folder and calls refresh(): no waiting for the next periodic poll."""
    from humanaes_desktop.library import watch

    monkeypatch.setattr(watch, "POLL_S", 3600.0)  # only refresh() can make it look now
    lib = Library.open(tmp_path / "refresh.sqlite3")
    lib.scan_folder(lib.add_folder(photo_dir).id)
    watcher = FolderWatcher(lib, settle_s=0.2)
    watcher.start()
    try:
        card = tmp_path / "card"
        card.mkdir()
        added = lib.add_folder(card)
        card.rmdir()  # the card is pulled out at once: only a look at the folder notices
        watcher.refresh()
        wait_until(lambda: not _available(lib, added.id), timeout=5, what="the refresh")
    finally:
        watcher.stop()
        lib.close()


def _available(lib: Library, folder_id: int) -> bool:
    return next(f.available for f in lib.folders() if f.id == folder_id)
