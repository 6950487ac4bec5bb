"""The library tells another process's writes from its own (what the window polls)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from humanaes_desktop.library.records import GalleryQuery


def test_only_another_processes_commits_change_the_number(library, photo_dir):
    folder = library.add_folder(photo_dir)
    library.scan_folder(folder.id)
    seen = library.others_version()
    (first, *_rest) = library.query_ids(GalleryQuery())
    library.set_rating([first], stars=3)  # our own writes
    library.request_assessments([first])
    assert library.others_version() == seen
    code = textwrap.dedent(
        f"""
        from humanaes_desktop.library import Library
        with Library.open({str(library.path)!r}) as other:
            other.set_rating([{first}], stars=5)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert library.others_version() != seen
    assert library.rows([first])[0].rating.stars == 5
