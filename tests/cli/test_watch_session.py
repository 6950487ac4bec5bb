"""`humanaes watch` in-process: what a first Ctrl-C does while the startup scan is running."""

from __future__ import annotations

import io
import os
import signal

from humanaes_desktop.commands.watch import EXIT_OK, WatchSession
from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import ImageStatus


class CtrlCWhenTheScanStarts(Library):
    """The real library; the user presses Ctrl-C as the first folder's scan begins."""

    def scan_all(self, progress=None):
        def pressed_then_report(done: int, total: int) -> None:
            if done == 0:
                os.kill(os.getpid(), signal.SIGINT)  # handled on this (the main) thread
            if progress is not None:
                progress(done, total)

        return super().scan_all(pressed_then_report)


def test_first_ctrl_c_stops_a_long_startup_scan_between_batches(tmp_path, sample_photos_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    source = (sample_photos_dir / "camera.png").read_bytes()
    for i in range(501):  # more than one batch of 500
        (folder / f"p{i:04d}.png").write_bytes(source + i.to_bytes(4, "little"))
    loads: list[int] = []

    def loader():
        loads.append(1)
        raise RuntimeError("the worker should not have started")

    out = io.StringIO()
    with CtrlCWhenTheScanStarts.open(tmp_path / "library.sqlite3") as library:
        session = WatchSession(library, loader, PreprocessProfile(), once=True, out=out)
        assert session.run([str(folder)]) == EXIT_OK
        assert library.status_counts()[ImageStatus.QUEUED] < 501  # not scanned to the end
    assert loads == [] and not session.worker.is_alive()
    assert "scan interrupted" in out.getvalue()
