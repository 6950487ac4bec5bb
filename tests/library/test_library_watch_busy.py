"""The watcher keeps what a busy database refused and applies it once the database is free."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import textwrap

import pytest

from humanaes_desktop.library import Library
from humanaes_desktop.library import db as library_db
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from humanaes_desktop.library.watch import FolderWatcher
from tests.support.photos import sample_photo
from tests.support.waiting import wait_until

ALL = GalleryQuery(sort_key="file_name", statuses=frozenset(ImageStatus))

HOLD_THE_WRITE_LOCK = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # what a second `humanaes watch` does while it writes
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    """
)


@pytest.fixture
def impatient_library(tmp_path, photo_dir, monkeypatch):
    """A library that gives up on a locked database after 0.2 s instead of 30 s."""
    monkeypatch.setattr(library_db, "BUSY_TIMEOUT_MS", 200)
    lib = Library.open(tmp_path / "busy.sqlite3")
    lib.scan_folder(lib.add_folder(photo_dir).id)
    yield lib
    lib.close()


@pytest.fixture
def write_lock(impatient_library):
    """Another process holding the library's write lock until `release()` is called."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, str(impatient_library.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def release() -> None:
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.wait(10) == 0

    try:
        assert holder.stdout.readline().strip() == "locked"
        yield release
    finally:
        if holder.poll() is None:
            holder.kill()


def _status(lib: Library, name: str):
    rows = [r for r in lib.rows(lib.query_ids(ALL)) if r.file_name == name]
    return rows[0].status if rows else None


def test_photo_copied_in_while_another_process_holds_the_database(
    impatient_library, photo_dir, caplog, write_lock
):
    lib = impatient_library
    watcher = FolderWatcher(lib, settle_s=0.2)
    watcher.start()
    try:
        with caplog.at_level(logging.WARNING, logger="humanaes_desktop.library.watch"):
            shutil.copy(sample_photo("rocket.jpg"), photo_dir / "new-while-busy.jpg")
            wait_until(lambda: "retrying in" in caplog.text, what="a refused attempt")
            wait_until(lambda: caplog.text.count("retrying in") >= 2, what="a second attempt")
        assert _status(lib, "new-while-busy.jpg") is None  # nothing got in while locked
        write_lock()
        wait_until(
            lambda: _status(lib, "new-while-busy.jpg") is ImageStatus.QUEUED,
            what="the photo queued after the database was freed",
        )
    finally:
        watcher.stop()
    assert lib.queue_counts().queued == 7  # the six sample photos and the new one, once


def test_events_dropped_while_the_database_is_busy_are_rescanned_after_the_retries(
    impatient_library, photo_dir, caplog, write_lock
):
    """An overflow (watchdog's own report) during refused batches: the folders are rescanned
    once the kept batches are in, never before them, and nothing is recorded twice."""
    lib = impatient_library
    watcher = FolderWatcher(lib, settle_s=0.2)
    watcher.start()
    try:
        with caplog.at_level(logging.INFO, logger="humanaes_desktop.library.watch"):
            shutil.copy(sample_photo("rocket.jpg"), photo_dir / "burst-while-busy.jpg")
            wait_until(lambda: "retrying in" in caplog.text, what="a refused attempt")
            logging.getLogger("watchdog.observers.inotify_c").warning(
                "Inotify queue overflowed; filesystem events were lost"
            )
            wait_until(lambda: caplog.text.count("retrying in") >= 2, what="a second attempt")
            assert "rescanning the folders" not in caplog.text  # the kept batch goes first
            write_lock()
            wait_until(lambda: "rescanning the folders" in caplog.text, what="the rescan")
            wait_until(
                lambda: _status(lib, "burst-while-busy.jpg") is ImageStatus.QUEUED,
                what="the photo queued after the database was freed",
            )
    finally:
        watcher.stop()
    lines = caplog.text.splitlines()
    applied = next(i for i, line in enumerate(lines) if "applied after" in line)
    rescan = next(i for i, line in enumerate(lines) if "rescanning the folders" in line)
    assert applied < rescan
    assert lib.queue_counts().queued == 7  # the six sample photos and the new one, once
