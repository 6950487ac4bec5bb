"""The ORM tables of the library database (current schema version).

The current assessment's scores are copied onto the image row (the `score_*` columns): sorting
100k images by any dimension is then an index scan on one table instead of a join.
Ratings live in their own table keyed by image id, so re-scoring and rescans never touch them and
a moved file (same image row, new path) keeps them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..engine.dimensions import DIMENSION_KEYS

SCHEMA_VERSION = 2

# Image-row columns that hold the current assessment's values (denormalised for fast sorting).
SCORE_COLUMNS: tuple[str, ...] = ("overall", "fast_score", *DIMENSION_KEYS)


class Base(DeclarativeBase):
    pass


class SchemaMeta(Base):
    """One row: the schema version and a counter bumped by every write (see Database.write)."""

    __tablename__ = "schema_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    data_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class FolderRow(Base):
    __tablename__ = "folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    available: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # A folder removed without purging stays here unwatched, so re-adding it restores ratings.
    watched: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    added_at: Mapped[float] = mapped_column(Float, nullable=False)


class ImageRowORM(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), nullable=False
    )
    rel_path: Mapped[str] = mapped_column(Text, nullable=False)  # POSIX-style, inside the folder
    file_name: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    mtime: Mapped[float] = mapped_column(Float, nullable=False, index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    captured_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    current_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    synthetic: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    overall: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    fast_score: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    # One indexed REAL column per dimension, named by DIMENSION_KEYS, generated so the schema
    # can never drift from the dimension list.
    locals().update(
        {key: mapped_column(Float, nullable=True, index=True) for key in DIMENSION_KEYS}
    )
    __table_args__ = (UniqueConstraint("folder_id", "rel_path", name="uq_images_folder_path"),)


class AssessmentRow(Base):
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
    overall: Mapped[float] = mapped_column(Float, nullable=False, index=True)
    fast_score: Mapped[float] = mapped_column(Float, nullable=False)
    # Indexed too: "best by dimension X across all models" stays a cheap query.
    locals().update(
        {key: mapped_column(Float, nullable=False, index=True) for key in DIMENSION_KEYS}
    )
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    expert_text: Mapped[str] = mapped_column(Text, nullable=False)
    annotation: Mapped[str | None] = mapped_column(Text, nullable=True)
    timings_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    device: Mapped[str] = mapped_column(String(32), nullable=False)
    dtype: Mapped[str] = mapped_column(String(32), nullable=False)
    tiles: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)
    __table_args__ = (
        UniqueConstraint("image_id", "model_key", "profile_key", name="uq_assessment_identity"),
    )


class RatingRow(Base):
    __tablename__ = "ratings"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    stars: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    flag: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    color: Mapped[str | None] = mapped_column(String(16), nullable=True)  # added in v2
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)


class JobRow(Base):
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
    __table_args__ = (Index("ix_jobs_claim_order", "state", "priority", "file_mtime"),)
