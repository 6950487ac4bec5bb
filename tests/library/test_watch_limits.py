"""The watcher at the system's limits, with real inotify: a tree larger than the user's watch
limit (set low inside a user namespace, so nothing else on the machine is affected) is
rescanned and the user told how to raise the limit; a burst that overflows the kernel's event
queue (the reader kept off the CPU) still ends with every photo recorded exactly once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from humanaes_desktop.library import Library, watch_limits
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from humanaes_desktop.library.watch import FolderWatcher
from tests.support.gallery_arrays import generator

REPO = Path(__file__).resolve().parents[2]
EVERYTHING = GalleryQuery(statuses=frozenset(ImageStatus))
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux")


def _user_namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c",
         "echo 7 > /proc/sys/user/max_inotify_watches"],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


IN_NAMESPACE = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    from humanaes_desktop.library import Library, watch
    from humanaes_desktop.library.records import GalleryQuery, ImageStatus
    watch.FALLBACK_RESCAN_S = 0.5  # the test cannot wait a minute
    warnings = []
    with Library.open(sys.argv[2]) as library:
        watcher = watch.FolderWatcher(library, on_warning=warnings.append, settle_s=0.2)
        watcher.start()
        watches = watcher.watch_count()
        for name in sys.argv[4:]:
            with open(f"{sys.argv[3]}/{name}", "wb") as out, open(sys.argv[3] + "/seed.png", "rb") as seed:
                out.write(seed.read() + name.encode())
        everything = GalleryQuery(statuses=frozenset(ImageStatus))
        deadline = time.monotonic() + 60
        while len(library.query_ids(everything)) < 1 + len(sys.argv[4:]) and time.monotonic() < deadline:
            time.sleep(0.1)
        watcher.stop()
        print(json.dumps({"warnings": warnings, "watches": watches,
                          "recorded": len(library.query_ids(everything))}))
    """
)


@pytest.mark.skipif(not _user_namespaces_work(), reason="user namespaces are not allowed here")
def test_a_tree_beyond_the_watch_limit_is_rescanned_and_the_user_told_how_to_raise_it(tmp_path):
    tree = tmp_path / "photos"
    for i in range(8):
        (tree / f"day{i}").mkdir(parents=True)
    (tree / "seed.png").write_bytes(generator().tiny_png(1))
    with Library.open(tmp_path / "lib.sqlite3") as library:
        library.scan_folder(library.add_folder(tree).id)
    new = [f"day{i}/new{i}.png" for i in range(8)]  # some of these directories go unwatched
    limit = "echo 4 > /proc/sys/user/max_inotify_watches"
    run = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c",
         f'{limit} && exec "$0" "$@"', sys.executable, "-c", IN_NAMESPACE, str(REPO),
         str(tmp_path / "lib.sqlite3"), str(tree), *new],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["recorded"] == 9, (
        result,
        run.stderr[-3000:],
    )  # every new photo found, watched or not
    assert result["watches"] <= 4
    (warning,) = result["warnings"]
    assert "has more sub-folders than the system lets one user watch" in warning
    assert "sudo sysctl fs.inotify.max_user_watches=524288" in warning
    assert "/etc/sysctl.d/" in warning


WRITER = textwrap.dedent(
    """
    import sys
    folder, count = sys.argv[1], int(sys.argv[2])
    seed = open(folder + "/../seed.png", "rb").read()
    for i in range(count):
        with open(f"{folder}/burst{i:05d}.png", "wb") as out:
            out.write(seed + i.to_bytes(4, "little"))
    """
)


def test_a_burst_that_overflows_the_event_queue_is_recorded_once_each(tmp_path, caplog):
    """The applier and watchdog's reader are kept off the CPU (this thread holds the GIL for
    seconds) while another process writes more files than the kernel queues events for."""
    tree = tmp_path / "photos"
    (tree / "burst").mkdir(parents=True)
    (tmp_path / "photos" / "seed.png").write_bytes(generator().tiny_png(2))
    library = Library.open(tmp_path / "lib.sqlite3")
    library.scan_folder(library.add_folder(tree).id)
    watcher = FolderWatcher(library, settle_s=0.3)
    watcher.start()
    count = 7000  # a create, modify and close each: ~21,000 events, over the 16,384 queued
    interval = sys.getswitchinterval()
    try:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tree / "burst"), str(count)])
        sys.setswitchinterval(30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # pure Python: the GIL stays here
            pass
        sys.setswitchinterval(interval)
        assert writer.wait(120) == 0
        deadline = time.monotonic() + 120
        while len(library.query_ids(EVERYTHING)) < count + 1 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        sys.setswitchinterval(interval)
        watcher.stop()
    ids = library.query_ids(EVERYTHING)
    names = [row.file_name for row in library.rows(ids)]
    library.close()
    assert len(names) == len(set(names)) == count + 1
    if not any("overflow" in r.getMessage().lower() for r in caplog.records):
        pytest.skip("the kernel queued every event this time (no overflow to recover from)")
    assert any("rescanning the folders" in r.getMessage() for r in caplog.records)


def test_watch_limit_checks_read_the_real_system():
    limit = watch_limits.max_user_watches()
    assert limit is None or limit > 0
    assert not watch_limits.watch_limit_reached(str(REPO))  # this machine has watches to spare
    assert watch_limits.watches_in_use() >= 0
