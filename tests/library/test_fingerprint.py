"""The content fingerprint: the same from a file and from its bytes, and stable across versions."""

from __future__ import annotations

import os

import pytest

from humanaes_desktop.library.files import FINGERPRINT_CHUNK, fingerprint, fingerprint_bytes
from tests.support.photos import sample_photo

CHUNK = FINGERPRINT_CHUNK


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 5 * CHUNK + 7]
)
def test_bytes_and_file_agree_at_every_size_boundary(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f.jpg"
    path.write_bytes(data)
    assert fingerprint_bytes(data) == fingerprint(str(path)) == fingerprint(str(path), size)


def test_middle_bytes_do_not_count_but_head_tail_and_size_do():
    data = bytearray(os.urandom(4 * CHUNK))
    base = fingerprint_bytes(bytes(data))
    data[2 * CHUNK] ^= 0xFF  # the middle: not read, by design (cheap at 100k files)
    assert fingerprint_bytes(bytes(data)) == base
    data[-1] ^= 0xFF
    assert fingerprint_bytes(bytes(data)) != base
    assert fingerprint_bytes(bytes(data) + b"\0") != fingerprint_bytes(bytes(data))


def test_fingerprints_of_existing_libraries_are_unchanged():
    # Values stored in libraries made by earlier versions: a change here would make every
    # photo look new (and lose the link between cluster results and library photos).
    assert fingerprint(str(sample_photo("rocket.jpg"))) == "15e9935dd0732f803548293d43d04041"
    assert fingerprint(str(sample_photo("astronaut.png"))) == "970b453eff174a3014fabeb7ca601472"
