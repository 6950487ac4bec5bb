"""The result rows a cluster job writes (Parquet) and reads back: one row per photo.

A row holds the photo's fingerprint (of the bytes actually scored) and the manifest's, its
paths, the full assessment (or an error code and reason), the model identity, the profile, the
device and dtype, the timings and which actor produced it. The schema is fixed here, so files
written by different runs (and blocks with only error rows) always agree.

Reading an output folder tolerates what a killed job leaves behind: a Parquet file cut off
mid-write is set aside (renamed `*.broken`, logged) and its photos count as not done.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS

log = logging.getLogger(__name__)

RESULT_SCHEMA = pa.schema(
    [
        ("fingerprint", pa.string()),
        ("manifest_fingerprint", pa.string()),
        ("path", pa.string()),
        ("library_path", pa.string()),
        ("size", pa.int64()),
        ("error", pa.string()),
        ("reason", pa.string()),
        ("overall", pa.float64()),
        ("fast_score", pa.float64()),
        ("level", pa.string()),
        *((key, pa.float64()) for key in DIMENSION_KEYS),
        ("expert_text", pa.string()),
        ("annotation", pa.string()),
        ("model_repo", pa.string()),
        ("model_revision", pa.string()),
        ("model_weights_sha256", pa.string()),
        ("model_key", pa.string()),
        ("synthetic", pa.bool_()),
        ("profile_key", pa.string()),
        ("max_tiles", pa.int32()),
        ("input_size", pa.int32()),
        ("decode", pa.string()),
        ("device", pa.string()),
        ("dtype", pa.string()),
        ("tiles", pa.int32()),
        ("timings_json", pa.string()),
        ("actor", pa.string()),
        ("actor_model_loads", pa.int32()),
        ("model_load_s", pa.float64()),
        ("scored_at", pa.float64()),
        ("run_id", pa.string()),
        # Culling's compact embedding (Assessment.embedding, <= 512 bytes); files written before
        # it existed lack the column and read as None.
        ("embedding", pa.binary()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(RESULT_SCHEMA.names)
BROKEN_SUFFIX = ".broken"


@dataclass(frozen=True)
class Producer:
    """Who scored a row: the actor, how often its process loaded the model, and the run."""

    actor: str
    model_loads: int
    model_load_s: float
    run_id: str


def _identity_fields(model: ModelIdentity, profile: PreprocessProfile) -> dict[str, Any]:
    return {
        "model_repo": model.repo,
        "model_revision": model.revision,
        "model_weights_sha256": model.weights_sha256,
        "model_key": model.key,
        "synthetic": model.synthetic,
        "profile_key": profile.key,
        "max_tiles": profile.max_tiles,
        "input_size": profile.input_size,
        "decode": profile.decode,
    }


def _producer_fields(producer: Producer) -> dict[str, Any]:
    return {
        "actor": producer.actor,
        "actor_model_loads": producer.model_loads,
        "model_load_s": producer.model_load_s,
        "scored_at": time.time(),
        "run_id": producer.run_id,
    }


def success_row(photo: dict[str, Any], assessment: Assessment, producer: Producer) -> dict:
    """The row of a scored photo; `photo` has the manifest fields plus the scored fingerprint."""
    return {
        **_photo_fields(photo),
        "overall": assessment.overall,
        "fast_score": assessment.fast_score,
        "level": assessment.level,
        **{key: assessment.dimensions[key] for key in DIMENSION_KEYS},
        "expert_text": assessment.expert_text,
        "annotation": assessment.annotation,
        **_identity_fields(assessment.model, assessment.profile),
        "device": assessment.device,
        "dtype": assessment.dtype,
        "tiles": assessment.tiles,
        "timings_json": json.dumps(assessment.timings, sort_keys=True),
        **_producer_fields(producer),
        "embedding": assessment.embedding,
    }


def error_row(
    photo: dict[str, Any],
    code: str,
    reason: str,
    model: ModelIdentity,
    profile: PreprocessProfile,
    producer: Producer,
    timings: dict[str, float] | None = None,
) -> dict:
    """The row of a photo that could not be scored: why, and what it was to be scored with."""
    return {
        **_photo_fields(photo),
        "error": code,
        "reason": reason,
        **_identity_fields(model, profile),
        "timings_json": json.dumps(timings or {}, sort_keys=True),
        **_producer_fields(producer),
    }


def _photo_fields(photo: dict[str, Any]) -> dict[str, Any]:
    return {
        "fingerprint": photo.get("fingerprint"),
        "manifest_fingerprint": photo["manifest_fingerprint"],
        "path": photo["path"],
        "library_path": photo["library_path"],
        "size": photo.get("size"),
    }


def rows_to_table(rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Rows as an Arrow table with the fixed schema (missing fields are nulls)."""
    rows = list(rows)
    return pa.table(
        {name: [row.get(name) for row in rows] for name in COLUMNS}, schema=RESULT_SCHEMA
    )


def assessment_from_result(row: dict[str, Any]) -> Assessment:
    """The engine's Assessment a successful row describes."""
    return Assessment(
        overall=float(row["overall"]),
        fast_score=float(row["fast_score"]),
        dimensions={key: float(row[key]) for key in DIMENSION_KEYS},
        expert_text=row["expert_text"] or "",
        annotation=row["annotation"],
        model=ModelIdentity(
            repo=row["model_repo"],
            revision=row["model_revision"],
            weights_sha256=row["model_weights_sha256"],
            synthetic=bool(row["synthetic"]),
        ),
        profile=PreprocessProfile(
            max_tiles=int(row["max_tiles"]),
            input_size=int(row["input_size"]),
            decode=row["decode"],
        ),
        device=row["device"],
        dtype=row["dtype"],
        tiles=int(row["tiles"]),
        timings={k: float(v) for k, v in json.loads(row["timings_json"] or "{}").items()},
        embedding=row.get("embedding"),
    )


def result_files(folder: Path) -> list[Path]:
    """The Parquet files under an output folder, sorted (hidden and partial files skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*.parquet") if p.is_file() and not p.name.startswith(".")
    )


def iter_tables(folder: Path, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """Each readable result file as a table; a damaged one (a killed write) is set aside."""
    for path in result_files(folder):
        try:
            table = pq.read_table(path, columns=columns)
        except (pa.ArrowInvalid, OSError) as exc:
            _set_aside(path, exc)
            continue
        yield table


def _set_aside(path: Path, exc: Exception) -> None:
    target = path.with_name(path.name + BROKEN_SUFFIX)
    try:
        path.rename(target)
    except OSError as rename_error:
        log.warning(
            "unreadable result file %s (%s); could not rename it: %s", path, exc, rename_error
        )
        return
    log.warning(
        "result file %s is unreadable (%s), probably cut off by a killed job; renamed to %s, "
        "its photos will be scored again",
        path,
        exc,
        target.name,
    )


def done_fingerprints(folder: Path, model_key: str, profile_key: str) -> set[str]:
    """Manifest fingerprints that already have a row (result or error) for this model+profile."""
    done: set[str] = set()
    wanted = ["manifest_fingerprint", "model_key", "profile_key"]
    for table in iter_tables(folder, wanted):
        for print_, model, profile in zip(
            *(table.column(c).to_pylist() for c in wanted), strict=True
        ):
            if model == model_key and profile == profile_key:
                done.add(print_)
    return done


def read_rows(folder: Path) -> Iterator[dict[str, Any]]:
    """Every row of every readable result file, as plain dicts."""
    for table in iter_tables(folder):
        yield from table.to_pylist()
