"""The ORM tables of the library database (current schema version).

The current assessment's scores are copied onto the image row (the `score_*` columns): sorting
100k images by any dimension is then an index scan on one table instead of a join.
Ratings live in their own table keyed by image id, so re-scoring and rescans never touch them and
a moved file (same image row, new path) keeps them.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import (
    BLOB,
    DDL,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    desc,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS

SCHEMA_VERSION = 8

# Image-row columns that hold the current assessment's values (denormalised for fast sorting).
SCORE_COLUMNS: tuple[str, ...] = ("overall", "fast_score", *DIMENSION_KEYS)
# Gallery sort columns. Each gets an index (column, status, folder_id, level): the usual gallery
# query ("not missing", maybe one folder or some levels, sorted by X) is then answered from the
# index alone, without touching the wide image rows — 100k ids in a few tens of milliseconds.
SORT_COLUMNS: tuple[str, ...] = (
    *SCORE_COLUMNS,
    "file_name",
    "captured_at",
    "mtime",
    "stars",
)


class Base(DeclarativeBase):
    """ORM mappings end in `Orm`; they never leave the data layer (records.py holds what does)."""

    # Every mapping here is to one table (DeclarativeBase only promises a FromClause).
    __table__: ClassVar[Table]


class SchemaMeta(Base):
    """One row: the schema version and a counter bumped by every write (see Database.write)."""

    __tablename__ = "schema_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    data_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class FolderOrm(Base):
    __tablename__ = "folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    available: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # A folder removed without purging stays here unwatched, so re-adding it restores ratings.
    watched: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    added_at: Mapped[float] = mapped_column(Float, nullable=False)


class ImageOrm(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), nullable=False
    )
    rel_path: Mapped[str] = mapped_column(Text, nullable=False)  # POSIX-style, inside the folder
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    mtime: Mapped[float] = mapped_column(Float, nullable=False)
    fingerprint: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    captured_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    current_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    synthetic: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    overall: Mapped[float | None] = mapped_column(Float, nullable=True)
    fast_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The current assessment's max_tiles: 1 for a quick score, more for a full one (profiles.py).
    max_tiles: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # One REAL column per dimension, named by DIMENSION_KEYS, generated so the schema can never
    # drift from the dimension list (indexed through SORT_COLUMNS below).
    locals().update({key: mapped_column(Float, nullable=True) for key in DIMENSION_KEYS})
    # Copies of the user's rating (the ratings table is the truth), for sorting and filtering.
    stars: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    flag: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    __table_args__ = (
        UniqueConstraint("folder_id", "rel_path", name="uq_images_folder_path"),
        *(Index(f"ix_images_sort_{c}", c, "status", "folder_id", "level") for c in SORT_COLUMNS),
        Index("ix_images_status", "status", "folder_id"),
        Index("ix_images_folder_status", "folder_id", "status"),
        Index("ix_images_flag", "flag", "status"),
    )


class AssessmentOrm(Base):
    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    )
    model_key: Mapped[str] = mapped_column(Text, nullable=False)
    repo: Mapped[str] = mapped_column(Text, nullable=False)
    revision: Mapped[str] = mapped_column(Text, nullable=False)
    weights_sha256: Mapped[str] = mapped_column(Text, nullable=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False)
    profile_key: Mapped[str] = mapped_column(Text, nullable=False)
    max_tiles: Mapped[int] = mapped_column(Integer, nullable=False)
    input_size: Mapped[int] = mapped_column(Integer, nullable=False)
    decode: Mapped[str] = mapped_column(String(16), nullable=False)
    overall: Mapped[float] = mapped_column(Float, nullable=False)
    fast_score: Mapped[float] = mapped_column(Float, nullable=False)
    # Not indexed: the gallery sorts the copies on the image rows.
    locals().update({key: mapped_column(Float, nullable=False) for key in DIMENSION_KEYS})
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    expert_text: Mapped[str] = mapped_column(Text, nullable=False)
    annotation: Mapped[str | None] = mapped_column(Text, nullable=True)
    timings_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    device: Mapped[str] = mapped_column(String(32), nullable=False)
    dtype: Mapped[str] = mapped_column(String(32), nullable=False)
    # Added in v6: the attention backend that computed it (NULL: stored before it was recorded).
    attention: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tiles: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)
    __table_args__ = (
        UniqueConstraint("image_id", "model_key", "profile_key", name="uq_assessment_identity"),
    )


class RatingOrm(Base):
    __tablename__ = "ratings"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    stars: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    flag: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    color: Mapped[str | None] = mapped_column(String(16), nullable=True)  # added in v2
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)


class JobOrm(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Copy of the file's mtime so "newest first" is an index scan, not a join + sort.
    file_mtime: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    annotate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Explicitly requested: run even if an assessment for the model+profile already exists.
    force: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_before: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "Quick first": the quick pass of this job is stored; it waits for (or is in) its full
    # pass, most promising first (quick_overall, the quick pass's score, then newest).
    awaiting_full: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default="0"
    )
    quick_overall: Mapped[float | None] = mapped_column(Float, nullable=True)
    __table_args__ = (
        # The claim order, so the next jobs are the first entries of one index scan.
        Index(
            "ix_jobs_claim_order",
            "state",
            desc("priority"),
            "awaiting_full",
            desc("quick_overall"),
            desc("file_mtime"),
        ),
    )


class TasteModelOrm(Base):
    """The one learnt "your taste" model of this library (added in v3); see taste_store.py."""

    __tablename__ = "taste_model"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # the model document (JSON)
    fitted_at: Mapped[float] = mapped_column(Float, nullable=False)
    ratings: Mapped[int] = mapped_column(Integer, nullable=False)  # rated photos it learnt from


# -- XMP sidecar sync (added in v4). The database records what each sidecar should hold: a
# rating change sets `pending` in the same transaction, so a crash before the sidecar is
# written is repaired at the next start.


class XmpSyncOrm(Base):
    """Per image: the last synced value of each field (the merge base) and what is owed."""

    __tablename__ = "xmp_sync"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    base_stars: Mapped[int | None] = mapped_column(Integer, nullable=True)
    base_flag: Mapped[int | None] = mapped_column(Integer, nullable=True)
    base_color: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "" = no label
    base_rating_raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    pending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    change_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    embedded_stamp: Mapped[str | None] = mapped_column(Text, nullable=True)
    synced_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class XmpSidecarOrm(Base):
    """One sidecar file as last read or written: a changed size or mtime means "read it"."""

    __tablename__ = "xmp_sidecars"
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), nullable=False, index=True
    )
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    mtime_ns: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class XmpConflictOrm(Base):
    """A field changed both in the app and in a sidecar since the last sync."""

    __tablename__ = "xmp_conflicts"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    )
    field: Mapped[str] = mapped_column(String(16), nullable=False)
    app_value: Mapped[str] = mapped_column(Text, nullable=False)
    file_value: Mapped[str] = mapped_column(Text, nullable=False)
    sidecar_path: Mapped[str] = mapped_column(Text, nullable=False)
    file_mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    app_changed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    detected_at: Mapped[float] = mapped_column(Float, nullable=False)
    __table_args__ = (PrimaryKeyConstraint("image_id", "field"),)


class XmpSettingOrm(Base):
    """The library's sidecar settings (naming, what to write, the conflict policy)."""

    __tablename__ = "xmp_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class ImageChangeOrm(Base):
    """Which photos changed in which write (added in v7): what lets a reader that keeps its own
    copy of the gallery's columns (library/arrays/) catch up without reading every row.

    Written by triggers only (`change_triggers`), so every writer is covered, this process or
    another. One row per photo: `seq` is the library's data_version while the write ran, so the
    photos changed since a reader saw version V are those with `seq >= V`. A deleted photo keeps
    its row, so the reader learns that it went.
    """

    __tablename__ = "image_changes"
    image_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: see above
    seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


def change_triggers(table: str, id_column: str) -> list[str]:
    """CREATE TRIGGER statements that log every insert, update and delete of `table` (whose
    `id_column` holds the image id) in image_changes. A table whose columns the gallery sorts or
    filters on (a later table of per-photo signals, say) adds its triggers in its migration.

    Delete-then-insert rather than an upsert: the outer statement's conflict policy (INSERT OR
    IGNORE…) would override the trigger's own, and a plain insert after the delete never conflicts.
    """
    statements = []
    for operation, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
        image_id = f"{row}.{id_column}"
        statements.append(
            f"CREATE TRIGGER trg_{table}_changes_{operation} AFTER {operation.upper()} ON {table}"
            f" BEGIN DELETE FROM image_changes WHERE image_id = {image_id};"
            f" INSERT INTO image_changes (image_id, seq)"
            f" VALUES ({image_id}, (SELECT data_version FROM schema_meta)); END"
        )
    return statements


CHANGE_LOGGED_TABLES: tuple[tuple[str, str], ...] = (("images", "id"), ("ratings", "image_id"))
for _table, _id_column in CHANGE_LOGGED_TABLES:
    for _statement in change_triggers(_table, _id_column):
        event.listen(Base.metadata, "after_create", DDL(_statement))


# -- culling (added in v8): first-pass signals, groups, image embeddings --------------------------


class SignalsOrm(Base):
    """The first pass of one photo (engine/culling). Recomputed when the file's fingerprint,
    the signals version or the face backend differs from what is stored here."""

    __tablename__ = "photo_signals"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str | None] = mapped_column(String(32), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    face_backend: Mapped[str] = mapped_column(Text, nullable=False)
    computed_at: Mapped[float] = mapped_column(Float, nullable=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # set: the decode failed
    # Grouping inputs, one column each so 100k rows load as arrays without parsing JSON.
    capture_time: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    time_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    counter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    camera: Mapped[str | None] = mapped_column(Text, nullable=True)
    burst_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    exposure_bias: Mapped[float | None] = mapped_column(Float, nullable=True)
    exposure_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    landscape: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    phash: Mapped[int | None] = mapped_column(Integer, nullable=True)  # signed 64-bit
    dhash: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flat: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    profile: Mapped[bytes | None] = mapped_column(BLOB, nullable=True)
    sharpness: Mapped[float | None] = mapped_column(Float, nullable=True)
    sharpness_peak: Mapped[float | None] = mapped_column(Float, nullable=True)
    peak_x: Mapped[float | None] = mapped_column(Float, nullable=True)
    peak_y: Mapped[float | None] = mapped_column(Float, nullable=True)
    face_sharpness: Mapped[float | None] = mapped_column(Float, nullable=True)
    eye_sharpness: Mapped[float | None] = mapped_column(Float, nullable=True)
    luma_mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    shadows_clipped: Mapped[float | None] = mapped_column(Float, nullable=True)
    highlights_clipped: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Badges (thumbnail marks and filters).
    face_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    eyes_closed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    soft: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    clipped: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The faces alone (best-of reads them for every burst member; details_json is all of it).
    faces_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    details_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")


class GroupMemberOrm(Base):
    """Where a photo stands in its shoot: its burst or set (if any), its scene, and the
    suggestion. Derived data: regrouping a folder rewrites it, never the user's ratings."""

    __tablename__ = "photo_groups"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    folder_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    group_key: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    group_size: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # capture order
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 = suggested pick
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reasons: Mapped[str] = mapped_column(Text, nullable=False, default="")
    scene_key: Mapped[int] = mapped_column(Integer, nullable=False)


class EmbeddingOrm(Base):
    """A compact image embedding taken from the vision features the model computed while
    scoring (<= 512 bytes), for scene grouping."""

    __tablename__ = "photo_embeddings"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    model_key: Mapped[str] = mapped_column(Text, nullable=False)
    vector: Mapped[bytes] = mapped_column(BLOB, nullable=False)
