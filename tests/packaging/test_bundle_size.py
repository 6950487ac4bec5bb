"""The bundle-size guard: the README's recorded size, and the +10% limit."""

from __future__ import annotations

import sys

import pytest
from desktop_tools import ROOT

sys.path.insert(0, str(ROOT / "packaging"))
import bundle_size  # noqa: E402

sys.path.remove(str(ROOT / "packaging"))


def test_the_readme_records_a_plausible_size():
    recorded = bundle_size.recorded_size(bundle_size.README.read_text(encoding="utf-8"))
    assert 300 * 2**20 < recorded < 3 * 2**30  # a CPU bundle: hundreds of MB, not several GB


def test_growth_up_to_ten_percent_passes_and_beyond_fails():
    assert bundle_size.size_problem(1_100_000_000, 1_000_000_000) is None
    assert bundle_size.size_problem(900_000_000, 1_000_000_000) is None
    problem = bundle_size.size_problem(1_100_000_001, 1_000_000_000)
    assert problem is not None and "10%" in problem and "packaging/README.md" in problem


def test_a_readme_without_the_record_is_an_error():
    with pytest.raises(bundle_size.BundleSizeError):
        bundle_size.recorded_size("# Packaging\n\nno figure here\n")


def test_the_folder_size_counts_files_once_and_not_through_links(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 1000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 24)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert bundle_size.folder_size(tmp_path) == (1024, 2)


def test_the_command_fails_on_a_grown_bundle(tmp_path, monkeypatch, capsys):
    (tmp_path / "big").write_bytes(b"z" * 2000)
    monkeypatch.setattr(bundle_size, "recorded_size", lambda _text: 1000)
    assert bundle_size.main([str(tmp_path)]) == 1
    assert "100% over" in capsys.readouterr().err
    monkeypatch.setattr(bundle_size, "recorded_size", lambda _text: 1900)
    assert bundle_size.main([str(tmp_path)]) == 0


def test_make_dist_only_warns(tmp_path, monkeypatch, capsys):
    (tmp_path / "big").write_bytes(b"z" * 2000)
    monkeypatch.setattr(bundle_size, "recorded_size", lambda _text: 1000)
    assert bundle_size.main(["--warn-only", str(tmp_path)]) == 0
    assert "WARNING" in capsys.readouterr().err
