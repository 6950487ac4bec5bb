"""The write-behind queue: one writer thread, a write per photo once its ratings are still,
flushed on demand and at close, and repaired after a crash from what the database owes."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import Flag
from tests.support.waiting import wait_until
from tests.support.xmp import exiftool_metadata, library_with_photos


def _rating_in(sidecar) -> int | None:
    return exiftool_metadata(sidecar).get("XMP-xmp:Rating") if sidecar.exists() else None


def test_a_burst_of_keystrokes_becomes_one_write_on_the_writer_thread(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"])
    results, threads = [], []

    def on_result(result) -> None:
        results.append(result)
        threads.append(threading.current_thread().name)

    with library:
        library.sidecars.start_writer(debounce_s=1.0, on_result=on_result)
        for stars in (1, 2, 3, 4):
            library.set_rating(list(ids.values()), stars=stars)
        library.set_rating(list(ids.values()), flag=Flag.PICKED)
        assert not (folder / "a.jpg.xmp").exists()  # nothing written on the caller's thread
        wait_until(lambda: results, what="the debounced write")
        assert library.sidecars.flush(timeout=30)
    assert len([r for r in results if r.written]) == 1 and threads == ["xmp-writer"]
    tags = exiftool_metadata(folder / "a.jpg.xmp")
    assert (tags["XMP-xmp:Rating"], tags["XMP-digiKam:PickLabel"]) == (4, 3)


def test_flush_writes_at_once_and_close_writes_what_is_left(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["a.jpg", "b.jpg"])
    library.sidecars.start_writer(debounce_s=3600)
    library.set_rating([ids["a.jpg"]], stars=5)
    assert library.sidecars.flush(timeout=30)
    assert _rating_in(folder / "a.jpg.xmp") == 5
    library.set_rating([ids["b.jpg"]], stars=1)
    library.close()  # quitting flushes the queue
    assert _rating_in(folder / "b.jpg.xmp") == 1


def test_bulk_writes_report_progress_and_can_be_cancelled(tmp_path):
    names = [f"IMG_{i:02d}.jpg" for i in range(8)]
    library, folder, ids = library_with_photos(tmp_path, names)
    cancel = threading.Event()
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 3:
            cancel.set()

    with library:
        library.set_rating(list(ids.values()), stars=2)
        assert library.sidecars.write_pending(progress, cancel) == 3
        assert seen == [(0, 8), (1, 8), (2, 8), (3, 8)]
        assert library.sidecars.status().pending == 5
        assert len(list(folder.glob("*.xmp"))) == 3
        assert library.sidecars.write_pending() == 5
        assert library.sidecars.status().pending == 0


KEYSTROKE_THEN_HANG = """
import sys, time
from humanaes_desktop.library import Library
library = Library.open(sys.argv[1])
library.sidecars.start_writer(debounce_s=3600)   # the write would come much later
[image_id] = library.find_images([sys.argv[2]]).values()
library.set_rating([image_id], stars=4, color="red")   # the keystroke, committed
print("rated", flush=True)
time.sleep(3600)
"""


def test_sigkill_after_a_rating_keystroke_the_sidecar_holds_it_after_restart(tmp_path):
    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"])
    library.close()
    db, photo = tmp_path / "library.sqlite3", folder / "a.jpg"
    script = textwrap.dedent(KEYSTROKE_THEN_HANG)
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(db), str(photo)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "rated"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert not (folder / "a.jpg.xmp").exists()  # killed before the sidecar was written
    with Library.open(db) as restarted:
        restarted.sidecars.start_writer()  # the next start repairs it first
        assert restarted.sidecars.flush(timeout=30)
    tags = exiftool_metadata(folder / "a.jpg.xmp")
    assert (tags["XMP-xmp:Rating"], tags["XMP-xmp:Label"]) == (4, "Red")


def test_the_watcher_brings_in_a_rating_another_tool_wrote(tmp_path):
    from humanaes_desktop.library.watch import FolderWatcher
    from tests.support.xmp import exiftool_write

    library, folder, ids = library_with_photos(tmp_path, ["a.jpg"])
    image_id = ids["a.jpg"]
    changes = []
    watcher = FolderWatcher(library, on_change=lambda: changes.append(1), settle_s=0.3)
    with library:
        library.sidecars.start_writer(debounce_s=0.2)
        watcher.start()
        try:
            library.set_rating([image_id], stars=2)
            wait_until(lambda: (folder / "a.jpg.xmp").exists(), what="our sidecar write")
            library.sidecars.flush(timeout=30)
            exiftool_write(folder / "a.jpg.xmp", "-XMP:Label=Blue", "-XMP:Rating=5")
            wait_until(
                lambda: library.rows([image_id])[0].rating.stars == 5,
                what="the rating written by exiftool to reach the library",
            )
            assert library.rows([image_id])[0].rating.color == "blue" and changes
        finally:
            watcher.stop()
    assert exiftool_metadata(folder / "a.jpg.xmp")["XMP-xmp:Rating"] == 5
