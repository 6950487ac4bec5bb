"""Paths that are not regular files: refused at once with a clear reason, never waited on."""

from __future__ import annotations

import os

import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.errors import UnreadableImageError
from humanaes_desktop.engine.images.loading import load_pixels

PROFILE = PreprocessProfile(max_tiles=1)


@pytest.mark.parametrize("name", ["pipe.jpg", "pipe.nef"])  # the plain and the RAW reader
def test_named_pipe_is_refused_without_blocking(tmp_path, name):
    pipe = tmp_path / name
    os.mkfifo(pipe)
    with pytest.raises(UnreadableImageError, match="not a regular file"):
        load_pixels(pipe, PROFILE)


def test_folder_named_like_an_image_is_refused(tmp_path):
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    with pytest.raises(UnreadableImageError, match="folder"):
        load_pixels(folder, PROFILE)
