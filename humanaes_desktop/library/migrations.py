"""Schema versions: create a fresh database, or upgrade an old one after copying it aside.

Version history:
  1 — first release: no colour labels, no index on capture time.
  2 — colour labels (ratings.color); copies of stars/flag on the image rows; the gallery's sort
      indexes become covering (column, status, folder_id, level) indexes, capture time included.
  3 — the learnt "your taste" model (table taste_model).
  4 — XMP sidecar sync: merge bases, sidecar stamps, conflicts and settings in four new tables;
      every photo rated before the upgrade owes its sidecar (pending).
  5 — quick first, full later: the image row copies its current assessment's max_tiles (quick
      or full); a job remembers that its quick pass is stored and the quick score that orders
      the full passes (jobs.awaiting_full, jobs.quick_overall), in a new claim-order index.
  6 — each assessment records the attention backend that computed it (assessments.attention).
  7 — the change log (table image_changes, filled by triggers on images and ratings) that the
      gallery's in-memory columns catch up from.
  8 — culling: first-pass signals (photo_signals), bursts/sets/scenes with suggested picks
      (photo_groups), compact image embeddings from scoring (photo_embeddings). New tables only.

Migration SQL is written out here, never derived from schema.py: it must describe the past.
It must also run on SQLite 3.26 (RHEL 8; Ubuntu 20.04 has 3.31): no UPDATE ... FROM, RETURNING
or DROP COLUMN. tests/library/test_library_old_sqlite.py runs every step on a real 3.26, and each
released version has a fixture (tests/library/fixtures/make_library_v<N>.py) migrated in a test.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select

from humanaes_desktop.errors import UserError
from humanaes_desktop.library.db import checkpoint
from humanaes_desktop.library.schema import SCHEMA_VERSION, Base, SchemaMeta

log = logging.getLogger(__name__)


class NewerSchemaError(UserError):
    """The database was written by a newer version of the application."""


# Version 1's per-column indexes, by their literal names (never built from today's constants:
# a renamed dimension or a new sort column must not change what this step drops).
_V1_DROPPED_INDEXES = (
    "ix_images_overall",
    "ix_images_fast_score",
    "ix_images_facial_brightness",
    "ix_images_facial_feature_clarity",
    "ix_images_facial_skin_tone",
    "ix_images_facial_structure",
    "ix_images_facial_contour_clarity",
    "ix_images_facial_aesthetic",
    "ix_images_outfit",
    "ix_images_body_shape",
    "ix_images_looks",
    "ix_images_environment",
    "ix_images_general_appearance",
    "ix_images_comprehensive",
    "ix_images_file_name",
    "ix_images_mtime",
    "ix_images_status",
    "ix_assessments_overall",
    "ix_assessments_facial_brightness",
    "ix_assessments_facial_feature_clarity",
    "ix_assessments_facial_skin_tone",
    "ix_assessments_facial_structure",
    "ix_assessments_facial_contour_clarity",
    "ix_assessments_facial_aesthetic",
    "ix_assessments_outfit",
    "ix_assessments_body_shape",
    "ix_assessments_looks",
    "ix_assessments_environment",
    "ix_assessments_general_appearance",
    "ix_assessments_comprehensive",
)
# Version 2's covering sort indexes: ix_images_sort_<column> on (column, status, folder_id, level).
_V2_SORT_COLUMNS = (
    "overall",
    "fast_score",
    "facial_brightness",
    "facial_feature_clarity",
    "facial_skin_tone",
    "facial_structure",
    "facial_contour_clarity",
    "facial_aesthetic",
    "outfit",
    "body_shape",
    "looks",
    "environment",
    "general_appearance",
    "comprehensive",
    "file_name",
    "captured_at",
    "mtime",
    "stars",
)


def _v1_to_v2(conn: Connection) -> None:
    # SQLite 3.26 is the oldest we support (RHEL 8): no UPDATE ... FROM (3.33), no RETURNING
    # (3.35), no DROP COLUMN (3.35). Correlated subqueries copy the ratings instead.
    run = conn.exec_driver_sql
    run("ALTER TABLE ratings ADD COLUMN color VARCHAR(16)")
    run("ALTER TABLE images ADD COLUMN stars INTEGER DEFAULT '0' NOT NULL")
    run("ALTER TABLE images ADD COLUMN flag INTEGER DEFAULT '0' NOT NULL")
    run(
        "UPDATE images SET"
        " stars = (SELECT ratings.stars FROM ratings WHERE ratings.image_id = images.id),"
        " flag = (SELECT ratings.flag FROM ratings WHERE ratings.image_id = images.id)"
        " WHERE id IN (SELECT image_id FROM ratings)"
    )
    for name in _V1_DROPPED_INDEXES:
        run(f"DROP INDEX IF EXISTS {name}")
    for column in _V2_SORT_COLUMNS:
        run(f"CREATE INDEX ix_images_sort_{column} ON images ({column}, status, folder_id, level)")
    run("CREATE INDEX ix_images_status ON images (status, folder_id)")
    run("CREATE INDEX ix_images_folder_status ON images (folder_id, status)")
    run("CREATE INDEX ix_images_flag ON images (flag, status)")


def _v2_to_v3(conn: Connection) -> None:
    conn.exec_driver_sql(
        "CREATE TABLE taste_model (id INTEGER NOT NULL, payload TEXT NOT NULL,"
        " fitted_at FLOAT NOT NULL, ratings INTEGER NOT NULL, PRIMARY KEY (id))"
    )


_V4_TABLES = (
    """CREATE TABLE xmp_sync (
        image_id INTEGER NOT NULL, base_stars INTEGER, base_flag INTEGER,
        base_color VARCHAR(16), base_rating_raw TEXT, pending BOOLEAN NOT NULL,
        change_seq INTEGER NOT NULL, error TEXT, embedded_stamp TEXT, synced_at FLOAT,
        PRIMARY KEY (image_id),
        FOREIGN KEY(image_id) REFERENCES images (id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_xmp_sync_pending ON xmp_sync (pending)",
    """CREATE TABLE xmp_sidecars (
        path TEXT NOT NULL, image_id INTEGER NOT NULL, size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL, sha256 VARCHAR(64) NOT NULL, PRIMARY KEY (path),
        FOREIGN KEY(image_id) REFERENCES images (id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_xmp_sidecars_image_id ON xmp_sidecars (image_id)",
    """CREATE TABLE xmp_conflicts (
        image_id INTEGER NOT NULL, field VARCHAR(16) NOT NULL, app_value TEXT NOT NULL,
        file_value TEXT NOT NULL, sidecar_path TEXT NOT NULL, file_mtime FLOAT,
        app_changed_at FLOAT, detected_at FLOAT NOT NULL, PRIMARY KEY (image_id, field),
        FOREIGN KEY(image_id) REFERENCES images (id) ON DELETE CASCADE)""",
    """CREATE TABLE xmp_settings (
        "key" VARCHAR(64) NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key"))""",
)

_V8_SIGNALS = """CREATE TABLE photo_signals (
    image_id INTEGER NOT NULL, fingerprint VARCHAR(32), version INTEGER NOT NULL,
    face_backend TEXT NOT NULL, computed_at FLOAT NOT NULL, error TEXT,
    capture_time FLOAT, time_source VARCHAR(16), counter INTEGER, camera TEXT, burst_id TEXT,
    exposure_bias FLOAT, exposure_key TEXT, landscape BOOLEAN, phash INTEGER, dhash INTEGER,
    flat BOOLEAN, profile BLOB, sharpness FLOAT, sharpness_peak FLOAT, peak_x FLOAT,
    peak_y FLOAT, face_sharpness FLOAT, eye_sharpness FLOAT, luma_mean FLOAT,
    shadows_clipped FLOAT, highlights_clipped FLOAT, face_count INTEGER, eyes_closed BOOLEAN,
    soft BOOLEAN, clipped BOOLEAN, faces_json TEXT NOT NULL, details_json TEXT NOT NULL,
    PRIMARY KEY (image_id), FOREIGN KEY(image_id) REFERENCES images (id) ON DELETE CASCADE)"""
_V8_GROUPS = """CREATE TABLE photo_groups (
    image_id INTEGER NOT NULL, folder_id INTEGER NOT NULL, group_key INTEGER,
    kind VARCHAR(16), group_size INTEGER NOT NULL, position INTEGER NOT NULL, rank INTEGER,
    score FLOAT, reasons TEXT NOT NULL, scene_key INTEGER NOT NULL,
    PRIMARY KEY (image_id), FOREIGN KEY(image_id) REFERENCES images (id) ON DELETE CASCADE)"""
_V8_EMBEDDINGS = """CREATE TABLE photo_embeddings (
    image_id INTEGER NOT NULL, model_key TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (image_id), FOREIGN KEY(image_id) REFERENCES images (id) ON DELETE CASCADE)"""


def _v3_to_v4(conn: Connection) -> None:
    run = conn.exec_driver_sql
    for statement in _V4_TABLES:
        run(statement)
    run(
        "INSERT INTO xmp_sync (image_id, pending, change_seq)"
        " SELECT image_id, 1, 1 FROM ratings"
        " WHERE stars != 0 OR flag != 0 OR color IS NOT NULL"
    )


def _v4_to_v5(conn: Connection) -> None:
    run = conn.exec_driver_sql
    run("ALTER TABLE images ADD COLUMN max_tiles INTEGER")
    run(
        "UPDATE images SET max_tiles = (SELECT assessments.max_tiles FROM assessments"
        " WHERE assessments.id = images.current_assessment_id)"
        " WHERE current_assessment_id IS NOT NULL"
    )
    run("ALTER TABLE jobs ADD COLUMN awaiting_full BOOLEAN DEFAULT '0' NOT NULL")
    run("ALTER TABLE jobs ADD COLUMN quick_overall FLOAT")
    run("DROP INDEX ix_jobs_claim_order")
    run(
        "CREATE INDEX ix_jobs_claim_order ON jobs"
        " (state, priority DESC, awaiting_full, quick_overall DESC, file_mtime DESC)"
    )


def _v5_to_v6(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE assessments ADD COLUMN attention VARCHAR(64)")


_CHANGE_LOG_TRIGGER = (
    "CREATE TRIGGER trg_{table}_changes_{operation} AFTER {upper} ON {table}"
    " BEGIN DELETE FROM image_changes WHERE image_id = {row}.{id_column};"
    " INSERT INTO image_changes (image_id, seq)"
    " VALUES ({row}.{id_column}, (SELECT data_version FROM schema_meta)); END"
)


def _add_change_log(conn: Connection) -> None:
    """The gallery arrays' change log: one table, triggers on images and ratings."""
    run = conn.exec_driver_sql
    run(
        "CREATE TABLE image_changes (image_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
        " PRIMARY KEY (image_id))"
    )
    run("CREATE INDEX ix_image_changes_seq ON image_changes (seq)")
    for table, id_column in (("images", "id"), ("ratings", "image_id")):
        for operation, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
            run(
                _CHANGE_LOG_TRIGGER.format(
                    table=table, operation=operation, upper=operation.upper(), row=row,
                    id_column=id_column,
                )
            )  # fmt: skip


def _v7_to_v8(conn: Connection) -> None:
    run = conn.exec_driver_sql
    for statement in (_V8_SIGNALS, _V8_GROUPS, _V8_EMBEDDINGS):
        run(statement)
    run("CREATE INDEX ix_photo_signals_capture_time ON photo_signals (capture_time)")
    run("CREATE INDEX ix_photo_groups_folder_id ON photo_groups (folder_id)")
    run("CREATE INDEX ix_photo_groups_group_key ON photo_groups (group_key)")


# MIGRATIONS[n] upgrades a database of version n to version n + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
    5: _v5_to_v6,
    6: _add_change_log,  # the step number is the one place to renumber it
    7: _v7_to_v8,
}


def stored_version(conn: Connection) -> int | None:
    """The schema version recorded in the file, or None for an empty (new) database."""
    if not inspect(conn).has_table(SchemaMeta.__tablename__):
        return None
    return conn.execute(select(SchemaMeta.version)).scalar_one()


def backup_path(db_path: Path, version: int) -> Path:
    """Where the pre-migration copy of a version-`version` database goes."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return db_path.with_name(f"{db_path.name}.v{version}-backup-{stamp}")


def ensure_schema(engine: Engine, db_path: Path) -> int:
    """Create or migrate the schema to SCHEMA_VERSION; returns the version found on disk (0 if new)."""
    with engine.begin() as conn:
        version = stored_version(conn)
        if version is None:
            Base.metadata.create_all(conn)
            conn.execute(SchemaMeta.__table__.insert().values(id=1, version=SCHEMA_VERSION))
            return 0
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"The library {db_path} was written by a newer HumanAes Desktop (schema {version});"
            " please update the application."
        )
    if version < SCHEMA_VERSION:
        _migrate(engine, db_path, version)
    return version


def _migrate(engine: Engine, db_path: Path, version: int) -> None:
    checkpoint(engine)  # the copy must hold every committed write, not just the main file
    backup = backup_path(db_path, version)
    shutil.copy2(db_path, backup)
    log.info("library schema %d -> %d; backup at %s", version, SCHEMA_VERSION, backup)
    with engine.begin() as conn:
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](conn)
        conn.execute(SchemaMeta.__table__.update().values(version=SCHEMA_VERSION))
