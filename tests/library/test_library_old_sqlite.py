"""The library on the oldest SQLite we support, 3.26.0 (RHEL 8): migrations and daily work.

A real SQLite 3.26.0 is built from registry sources (tests/support/old_sqlite.py) and runs in a
subprocess in place of the system's. Where it cannot be built, the migration SQL is still
checked against what 3.26 lacks.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event

from humanaes_desktop.library.migrations import MIGRATIONS
from tests.support import old_sqlite
from tests.support.photos import sample_photo
from tests.support.schema_shape import shape as _shape

FIXTURES = Path(__file__).with_name("fixtures")
REPO = Path(__file__).resolve().parents[2]

# Statements SQLite 3.26 does not parse, with the version that brought them.
NEWER_THAN_3_26 = {
    r"\bUPDATE\b[^;]*\bSET\b[^;]*\bFROM\b(?![^;(]*\))": "UPDATE ... FROM (3.33)",
    r"\bRETURNING\b": "RETURNING (3.35)",
    r"\bDROP\s+COLUMN\b": "ALTER TABLE DROP COLUMN (3.35)",
    r"\bGENERATED\s+ALWAYS\b": "generated columns (3.31)",
    r"\bNULLS\s+(FIRST|LAST)\b": "NULLS FIRST/LAST (3.30)",
    r"\bFILTER\s*\(": "aggregate FILTER (3.30)",
    r"\bIIF\s*\(": "iif() (3.32)",
    r"\bSTRICT\b": "STRICT tables (3.37)",
    r"->>?": "JSON -> operators (3.38)",
    r"\bMATERIALIZED\b": "MATERIALIZED CTEs (3.35)",
}


@pytest.fixture(scope="module")
def old() -> None:
    if old_sqlite.sqlite_3_26() is None:
        pytest.skip(f"no SQLite {old_sqlite.VERSION}: {old_sqlite.why_unavailable()}")


def _run_old(body: str, tmp_path: Path, env: dict | None = None) -> dict:
    code = old_sqlite.python_code(textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={"HUMANAES_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_every_migration_statement_parses_on_sqlite_3_26(tmp_path) -> None:
    """Recorded while migrating the v1 fixture; fails on the constructs 3.26 lacks."""
    migrated = tmp_path / "v1.sqlite3"
    shutil.copy(FIXTURES / "library_v1.sqlite3", migrated)
    engine = create_engine(f"sqlite:///{migrated}")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.begin() as conn:
        for step in sorted(MIGRATIONS):
            MIGRATIONS[step](conn)
    engine.dispose()
    assert len(statements) > 10
    newer = [
        (what, sql)
        for sql in statements
        for pattern, what in NEWER_THAN_3_26.items()
        if re.search(pattern, sql, re.IGNORECASE)
    ]
    assert newer == []


def test_the_checker_sees_what_3_26_lacks() -> None:
    # Guards the guard: the old migration's UPDATE ... FROM must be caught.
    old_sql = "UPDATE images SET stars = ratings.stars FROM ratings WHERE ratings.image_id = 1"
    fine = "UPDATE images SET stars = (SELECT r.stars FROM ratings r WHERE r.image_id = 1)"
    found = [p for p in NEWER_THAN_3_26 if re.search(p, old_sql, re.IGNORECASE)]
    assert len(found) == 1 and not any(re.search(p, fine, re.I) for p in NEWER_THAN_3_26)


def test_v1_library_migrates_on_sqlite_3_26(old, tmp_path) -> None:
    library = tmp_path / "library.sqlite3"
    shutil.copy(FIXTURES / "library_v1.sqlite3", library)
    result = _run_old(
        f"""
        import json
        from humanaes_desktop.library import Library
        from humanaes_desktop.library.records import GalleryQuery
        with Library.open({str(library)!r}) as lib:
            (row,) = lib.rows([1])
            print(json.dumps({{"stars": row.rating.stars, "flag": int(row.rating.flag),
                               "picked": lib.query_ids(GalleryQuery(min_stars=4))}}))
        """,
        tmp_path,
    )
    assert result == {"stars": 4, "flag": 1, "picked": [1]}
    from humanaes_desktop.library import Library

    Library.open(tmp_path / "fresh.sqlite3").close()
    assert _shape(library) == _shape(tmp_path / "fresh.sqlite3")


def test_the_library_does_its_daily_work_on_sqlite_3_26(old, tmp_path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("camera.png", "rocket.jpg"):
        shutil.copy(sample_photo(name), photos / name)
    result = _run_old(
        f"""
        import json
        from tests.support.assessments import make_assessment, SYNTHETIC_MODEL as SYNTHETIC
        from tests.support.assessments import PROFILE
        from humanaes_desktop.library import Library
        with Library.open({str(tmp_path / "lib.sqlite3")!r}) as lib:
            folder = lib.add_folder({str(photos)!r})
            scan = lib.scan_folder(folder.id)
            (job,) = lib.claim_jobs(1, SYNTHETIC.key, PROFILE.key)
            lib.store_assessment(job, make_assessment(0.7))
            lib.set_rating([job.image_id], stars=5, color="green")
            queued = lib.request_assessments([job.image_id, 999])
            counts = lib.queue_counts()
            print(json.dumps({{"added": scan.added, "scored": counts.scored,
                               "queued": queued, "id": job.image_id,
                               "overall": lib.rows([job.image_id])[0].overall}}))
        """,
        tmp_path,
    )
    assert result["added"] == 2 and result["scored"] == 1 and result["overall"] == 0.7
    assert result["queued"] == [result["id"]]
