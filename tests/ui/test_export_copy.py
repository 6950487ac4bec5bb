"""exporting.copy_files: copies picks to a folder, never overwriting, never moving, cancellable."""

from __future__ import annotations

import shutil
import threading

from humanaes_desktop.copy_picks import copy_files, free_name


def _picks(tmp_path, sample_photos_dir, names=("rocket.jpg", "coffee.png", "chelsea.png")):
    src = tmp_path / "shoot"
    src.mkdir()
    for name in names:
        shutil.copy2(sample_photos_dir / name, src / name)
    return [str(src / name) for name in names]


def test_copies_files_and_keeps_originals(tmp_path, sample_photos_dir):
    picks = _picks(tmp_path, sample_photos_dir)
    dest = tmp_path / "export"
    report = copy_files(picks, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["chelsea.png", "coffee.png", "rocket.jpg"]
    for source in picks:
        original = open(source, "rb").read()
        assert original  # never moved: the source is still there
        copied = dest / source.rsplit("/", 1)[-1]
        assert copied.read_bytes() == original
    assert len(report.copied) == 3 and not report.failed and not report.cancelled
    assert "3 copied" in report.summary()


def test_name_collision_gets_a_suffix_and_never_overwrites(tmp_path, sample_photos_dir):
    picks = _picks(tmp_path, sample_photos_dir, names=("rocket.jpg",))
    dest = tmp_path / "export"
    dest.mkdir()
    (dest / "rocket.jpg").write_bytes(b"the user's own different file")
    (dest / "rocket (2).jpg").write_bytes(b"another one")
    report = copy_files(picks, dest)
    assert (dest / "rocket.jpg").read_bytes() == b"the user's own different file"
    assert (dest / "rocket (2).jpg").read_bytes() == b"another one"
    assert (dest / "rocket (3).jpg").read_bytes() == (sample_photos_dir / "rocket.jpg").read_bytes()
    assert report.copied == [(picks[0], str(dest / "rocket (3).jpg"))]


def test_same_name_from_two_folders_both_arrive(tmp_path, sample_photos_dir):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy2(sample_photos_dir / "rocket.jpg", a / "photo.jpg")
    shutil.copy2(sample_photos_dir / "coffee.png", b / "photo.jpg")
    report = copy_files([a / "photo.jpg", b / "photo.jpg"], tmp_path / "out")
    assert len(report.copied) == 2
    assert (tmp_path / "out" / "photo (2).jpg").read_bytes() == (b / "photo.jpg").read_bytes()


def test_reexport_skips_identical_files_and_reports_missing(tmp_path, sample_photos_dir):
    picks = _picks(tmp_path, sample_photos_dir, names=("rocket.jpg", "coffee.png"))
    dest = tmp_path / "export"
    copy_files(picks, dest)
    report = copy_files([*picks, str(tmp_path / "gone.jpg"), picks[0]], dest)
    assert report.copied == []
    assert len(report.skipped) == 3  # two identical + one listed twice
    assert report.failed == [(str(tmp_path / "gone.jpg"), "file not found")]
    assert sorted(p.name for p in dest.iterdir()) == ["coffee.png", "rocket.jpg"]


def test_progress_reports_every_file_then_completion(tmp_path, sample_photos_dir):
    picks = _picks(tmp_path, sample_photos_dir)
    events = []
    copy_files(picks, tmp_path / "out", progress=lambda d, t, p: events.append((d, t, p)))
    assert events == [(0, 3, picks[0]), (1, 3, picks[1]), (2, 3, picks[2]), (3, 3, "")]


def test_cancel_midway_stops_and_leaves_no_partial_file(tmp_path, sample_photos_dir):
    picks = _picks(tmp_path, sample_photos_dir)
    cancel = threading.Event()

    def cancel_after_first(done, total, path):
        if done == 1:
            cancel.set()  # the user presses Cancel while the second file is starting

    dest = tmp_path / "out"
    report = copy_files(picks, dest, progress=cancel_after_first, cancel=cancel)
    assert report.cancelled
    assert [c[0] for c in report.copied] == picks[:1]
    assert report.not_started == picks[1:]
    assert [p.name for p in dest.iterdir()] == ["rocket.jpg"]
    assert "cancelled" in report.summary()


def test_cancel_inside_a_large_file_removes_the_partial_copy(tmp_path):
    big = tmp_path / "big.tif"
    big.write_bytes(b"\0" * (3 << 20))  # three chunks
    cancel = threading.Event()
    # Cancel lands after the file was chosen and its destination created, during the copy.
    report = copy_files([big], tmp_path / "out", progress=lambda *a: cancel.set(), cancel=cancel)
    assert report.cancelled and report.not_started == [str(big)]
    assert list((tmp_path / "out").iterdir()) == []


def test_free_name_counts_up(tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"1")
    assert free_name(tmp_path, "x.jpg").name == "x (2).jpg"
    assert free_name(tmp_path, "y.jpg").name == "y.jpg"
