"""Decimals in sidecars use '.', whatever the user's locale (a German desktop writes 0,7312
with locale-aware formatting, which no other tool would read as a number)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.support.xmp import exiftool_metadata, german_locale, library_with_photos

WRITE_UNDER_LOCALE = """
import locale, sys
locale.setlocale(locale.LC_ALL, "")   # what Qt does at startup
assert locale.localeconv()["decimal_point"] == ",", locale.localeconv()["decimal_point"]
sys.path.insert(0, sys.argv[2])
from tests.support.libraries import score_all
from humanaes_desktop.library import Library
with Library.open(sys.argv[1]) as library:
    score_all(library, base=0.7312)
    library.sidecars.sync()
print(locale.format_string("%.4f", 0.7312))
"""


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    return german_locale(tmp_path_factory)


def test_scores_are_written_with_a_decimal_point_under_a_german_locale(tmp_path, german):
    library, folder, _ids = library_with_photos(
        tmp_path, ["a.jpg"], write_scores=True, write_synthetic=True
    )
    library.close()
    here = os.path.dirname(__file__)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(WRITE_UNDER_LOCALE),
            str(tmp_path / "library.sqlite3"),
            here,
        ],
        env={**os.environ, **german},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0,7312"  # the locale really was German
    data = (folder / "a.jpg.xmp").read_text(encoding="utf-8")
    assert 'humanaes:Overall="0.7312"' in data and "0,7" not in data
    tags = exiftool_metadata(folder / "a.jpg.xmp")
    assert tags["XMP-humanaes:Overall"] == 0.7312
    assert all("," not in str(v) for k, v in tags.items() if k.startswith("XMP-humanaes:"))
