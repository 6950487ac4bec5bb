"""The quick-first step (images.max_tiles, jobs.awaiting_full/quick_overall): a library of the
version before it opens with its scores marked quick or full and its queue in quick-first order.

The older library is the version-2 fixture brought to BEFORE_QUICK_FIRST by the real migration
chain, plus a one-tile score and a job a crash left running; renumbering the step is a one-line
change here.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.profiles import ProfileKind
from humanaes_desktop.library import Library
from humanaes_desktop.library.migrations import MIGRATIONS
from humanaes_desktop.library.records import GalleryQuery, ImageStatus
from tests.support.schema_shape import shape

BEFORE_QUICK_FIRST = 4  # MIGRATIONS[4] adds the quick-first columns
V2_FIXTURE = Path(__file__).with_name("fixtures") / "library_v2.sqlite3"
MODEL_KEY = "synthetic/tiny@local#0000000000000000"
QUICK, FULL = "tiles=1;size=448;decode=exact", "tiles=12;size=448;decode=exact"
ONE_TILE_SCORES = [round(0.45 - 0.01 * i, 2) for i in range(len(DIMENSION_KEYS))]

# Rows in the columns every version since 2 has (the step adds columns, drops none).
_MORE_ROWS = [
    "INSERT INTO images (id, folder_id, rel_path, file_name, size, mtime, status,"
    " current_assessment_id, level, synthetic, overall, fast_score, {dims}) VALUES (5, 1,"
    " 'day2/one_tile.jpg', 'one_tile.jpg', 5000, 1700000400.0, 'scored', 5, 'fair', 1, 0.47,"
    " 0.44, {marks})",
    "INSERT INTO assessments (id, image_id, model_key, repo, revision, weights_sha256,"
    " synthetic, profile_key, max_tiles, input_size, decode, overall, fast_score, {dims}, level,"
    " expert_text, annotation, timings_json, device, dtype, tiles, created_at) VALUES (5, 5,"
    f" '{MODEL_KEY}', 'synthetic/tiny', 'local', '{'0' * 64}', 1, '{QUICK}', 1, 448, 'exact',"
    " 0.47, 0.44, {marks}, 'fair', 'Comprehensive Aesthetic Score: fair', NULL, '{{}}', 'cpu',"
    " 'float32', 1, 1700000900.0)",
    "INSERT INTO images (id, folder_id, rel_path, file_name, size, mtime, status) VALUES"
    " (6, 1, 'day2/running.jpg', 'running.jpg', 5000, 1700000450.0, 'scoring')",
    "INSERT INTO jobs VALUES (2, 6, 0, 1700000450.0, 0, 0, 'running', 0, 0.0, NULL)",
    "INSERT INTO images (id, folder_id, rel_path, file_name, size, mtime, status) VALUES"
    " (7, 1, 'day2/older.jpg', 'older.jpg', 5000, 1700000050.0, 'queued')",
    "INSERT INTO jobs VALUES (3, 7, 0, 1700000050.0, 0, 0, 'queued', 0, 0.0, NULL)",
]


def _library_before_quick_first(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(V2_FIXTURE, target)
    engine = create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        for version in range(2, BEFORE_QUICK_FIRST):
            MIGRATIONS[version](conn)
        conn.exec_driver_sql(f"UPDATE schema_meta SET version = {BEFORE_QUICK_FIRST}")
        dims, marks = ", ".join(DIMENSION_KEYS), ", ".join(["?"] * len(DIMENSION_KEYS))
        for statement in _MORE_ROWS:
            sql = statement.format(dims=dims, marks=marks)
            conn.exec_driver_sql(sql, tuple(ONE_TILE_SCORES) if "?" in sql else ())
    engine.dispose()
    return target


def test_the_library_before_the_step_has_no_quick_first_columns(tmp_path):
    old = shape(_library_before_quick_first(tmp_path / "old.sqlite3"))
    assert "max_tiles" not in old["columns"]["images"]
    assert "awaiting_full" not in old["columns"]["jobs"]


def test_scores_are_marked_quick_or_full_and_the_queue_runs_quick_passes_first(tmp_path):
    path = _library_before_quick_first(tmp_path / "old" / "library.sqlite3")
    with Library.open(path) as lib:
        everything = GalleryQuery(sort_key="file_name", statuses=frozenset(ImageStatus))
        rows = {r.file_name: r for r in lib.rows(lib.query_ids(everything))}
        names = {row.id: name for name, row in rows.items()}
        assert rows["portrait.jpg"].profile_kind is ProfileKind.FULL  # its 12-tile score
        assert rows["one_tile.jpg"].profile_kind is ProfileKind.QUICK
        assert rows["one_tile.jpg"].overall == 0.47
        assert rows["queued.jpg"].profile_kind is None
        assert rows["portrait.jpg"].rating.color == "green"
        assert lib.requeue_interrupted() == 1  # the job the crash left running
        assert lib.queue_counts().queued == 3
        claimed = lib.claim_jobs(3, MODEL_KEY, FULL, QUICK)
        # The user's request first (straight to its full pass), then the quick passes, newest
        # first; the 1-tile image has no job, and gets one only on asking for upgrades.
        assert [(names[j.image_id], j.quick) for j in claimed] == [
            ("queued.jpg", False),
            ("running.jpg", True),
            ("older.jpg", True),
        ]
        assert lib.queue_upgrades() == 1
        assert lib.queue_counts().awaiting_full == 1
    assert len(list(path.parent.glob(f"library.sqlite3.v{BEFORE_QUICK_FIRST}-backup-*"))) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
