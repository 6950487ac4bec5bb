"""How the worker words a decode failure, and whether it retries it."""

from __future__ import annotations

import errno

import pytest

from humanaes_desktop.engine.images.errors import ImageChangedWhileReadingError, TruncatedImageError
from humanaes_desktop.pipeline.scoring import describe_load_failure


@pytest.mark.parametrize(
    "error, permanent, words",
    [
        # What Pillow raises from a full decode of a truncated file: the bytes will not change.
        (OSError("image file is truncated"), True, "could not be decoded"),
        (SyntaxError("broken PNG file"), True, "could not be decoded"),
        (ValueError("unrecognized data stream contents"), True, "could not be decoded"),
        (PermissionError(errno.EACCES, "Permission denied"), False, "right now"),
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), False, "right now"),
        (OSError(errno.EIO, "Input/output error"), False, "right now"),
        (TruncatedImageError("a.png", "image file is truncated"), True, "a.png"),
        (ImageChangedWhileReadingError("b.jpg", "it grew"), False, "being copied"),
    ],
)
def test_damage_is_permanent_and_file_system_trouble_is_retried(error, permanent, words):
    reason, is_permanent = describe_load_failure(error)
    assert is_permanent is permanent
    assert words in reason
