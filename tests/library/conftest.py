"""Fixtures of the library tests: a real SQLite library in tmp_path, real photo files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from humanaes_desktop.library import Library
from tests.support.photos import sample_photos


@pytest.fixture
def library(tmp_path):
    lib = Library.open(tmp_path / "library.sqlite3")
    yield lib
    lib.close()


@pytest.fixture
def photo_dir(tmp_path) -> Path:
    """A folder with copies of the shared sample photos (6 files, one in a sub-folder)."""
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    for photo in sample_photos():
        target = folder / ("trip" if photo.name == "rocket.jpg" else "") / photo.name
        shutil.copy2(photo, target)
    return folder
