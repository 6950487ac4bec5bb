"""Storing first-pass signals, and finding the photos whose signals are missing or stale.

A photo needs its first pass when it has no signals row, or its row was computed from other
content (fingerprint), by another signals version or with another face backend. A row with an
error (the decode failed) counts as done until the file changes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, insert, or_, select

from humanaes_desktop.engine.culling import SIGNALS_VERSION
from humanaes_desktop.engine.culling.hashes import to_signed
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import FolderOrm, ImageOrm, SignalsOrm

if TYPE_CHECKING:  # the library never needs OpenCV loaded to store or read signals
    from humanaes_desktop.engine.culling.signals import PhotoSignals

_NOT_READABLE = (ImageStatus.MISSING.value, ImageStatus.UNSUPPORTED.value)


@dataclass(frozen=True)
class FirstPassTask:
    """One photo the first pass should look at."""

    image_id: int
    folder_id: int
    path: str
    fingerprint: str | None


@dataclass(frozen=True)
class FirstPassResult:
    task: FirstPassTask
    signals: PhotoSignals | None  # None: the decode failed, `error` says why
    error: str | None = None


def _stale(backend_key: str):
    return or_(
        SignalsOrm.image_id.is_(None),
        SignalsOrm.version != SIGNALS_VERSION,
        SignalsOrm.face_backend != backend_key,
        SignalsOrm.fingerprint.is_not(ImageOrm.fingerprint),
    )


def needing_first_pass(
    db: Database, backend_key: str, limit: int, skip: Iterable[int] = ()
) -> list[FirstPassTask]:
    """Photos without current signals, newest files first (the ones the user just added)."""
    skip = list(skip)
    statement = (
        select(
            ImageOrm.id, ImageOrm.folder_id, FolderOrm.path, ImageOrm.rel_path, ImageOrm.fingerprint
        )
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .outerjoin(SignalsOrm, SignalsOrm.image_id == ImageOrm.id)
        .where(ImageOrm.status.not_in(_NOT_READABLE), _stale(backend_key))
        .order_by(ImageOrm.mtime.desc(), ImageOrm.id)
        .limit(limit + len(skip))
    )
    with db.read() as session:
        rows = session.execute(statement).all()
    skipped = set(skip)
    tasks = [
        FirstPassTask(r.id, r.folder_id, absolute_path(r.path, r.rel_path), r.fingerprint)
        for r in rows
        if r.id not in skipped
    ]
    return tasks[:limit]


def count_needing_first_pass(db: Database, backend_key: str) -> int:
    """How many photos still wait for their first pass."""
    from sqlalchemy import func

    statement = (
        select(func.count())
        .select_from(ImageOrm)
        .outerjoin(SignalsOrm, SignalsOrm.image_id == ImageOrm.id)
        .where(ImageOrm.status.not_in(_NOT_READABLE), _stale(backend_key))
    )
    with db.read() as session:
        return session.scalar(statement) or 0


def _compact_faces(s: PhotoSignals) -> list[list]:
    """Per face: centre x, centre y, width (fractions), prominent, eyes, eyes seen, iris."""
    return [
        [round(f.x + f.w / 2, 4), round(f.y + f.h / 2, 4), round(f.w, 4), f.prominent, f.eyes,
         f.eyes_seen, f.iris_darkness]
        for f in s.faces
    ]  # fmt: skip


def _values(result: FirstPassResult, backend_key: str) -> dict[str, object]:
    task, s = result.task, result.signals
    base: dict[str, object] = {
        "image_id": task.image_id,
        "fingerprint": task.fingerprint,
        "version": SIGNALS_VERSION,
        "face_backend": s.face_backend if s else backend_key,
        "computed_at": time.time(),
        "error": result.error,
        "faces_json": "[]",
        "details_json": "{}",
    }
    if s is None:
        return base
    e, sh = s.exposure, s.sharpness
    return {
        **base,
        "capture_time": s.capture.time,
        "time_source": s.capture.source,
        "counter": s.capture.counter,
        "camera": s.capture.camera,
        "burst_id": s.capture.burst_id,
        "exposure_bias": s.capture.exposure_bias,
        "exposure_key": s.capture.exposure_key,
        "landscape": s.full_size[0] >= s.full_size[1],
        "phash": to_signed(s.hashes.phash),
        "dhash": to_signed(s.hashes.dhash),
        "flat": s.flat,
        "profile": s.hashes.profile,
        "sharpness": sh.global_,
        "sharpness_peak": sh.peak,
        "peak_x": sh.peak_x,
        "peak_y": sh.peak_y,
        "face_sharpness": s.face_sharpness,
        "eye_sharpness": s.eye_sharpness,
        "luma_mean": e.mean,
        "shadows_clipped": e.shadows_clipped,
        "highlights_clipped": e.highlights_clipped,
        "face_count": len(s.faces),
        "eyes_closed": s.eyes_closed,
        "soft": s.soft,
        "clipped": s.clipped,
        "faces_json": json.dumps(_compact_faces(s), separators=(",", ":")),
        "details_json": json.dumps(s.to_json_dict(), separators=(",", ":")),
    }


def store_first_pass(
    db: Database, results: Sequence[FirstPassResult], backend_key: str
) -> dict[int, float | None]:
    """Store a batch of results (replacing older rows); returns, per folder they touched, the
    earliest capture time among them (where regrouping must start; None: from the start).

    A result for content that changed meanwhile (another fingerprint on the image row now) is
    dropped: the new content is already waiting for its own pass."""
    if not results:
        return {}
    ids = [r.task.image_id for r in results]
    with db.write() as session:
        current = dict(
            session.execute(
                select(ImageOrm.id, ImageOrm.fingerprint).where(ImageOrm.id.in_(ids))
            ).all()
        )
        fresh = [
            r
            for r in results
            if r.task.image_id in current and current[r.task.image_id] == r.task.fingerprint
        ]
        if not fresh:
            return {}
        session.execute(
            delete(SignalsOrm).where(SignalsOrm.image_id.in_([r.task.image_id for r in fresh]))
        )
        session.execute(insert(SignalsOrm), [_values(r, backend_key) for r in fresh])
    earliest: dict[int, float | None] = {}
    for r in fresh:
        when = r.signals.capture.time if r.signals else None
        folder = r.task.folder_id
        if folder not in earliest:
            earliest[folder] = when
        elif (known := earliest[folder]) is not None and when is not None:
            earliest[folder] = min(known, when)
    return earliest


def signals_details(db: Database, image_ids: Sequence[int]) -> dict[int, dict]:
    """The full stored signals (the engine's JSON form) of some photos; absent ones left out."""
    with db.read() as session:
        rows = session.execute(
            select(SignalsOrm.image_id, SignalsOrm.details_json, SignalsOrm.error).where(
                SignalsOrm.image_id.in_(list(image_ids)), and_(SignalsOrm.error.is_(None))
            )
        ).all()
    return {r.image_id: json.loads(r.details_json) for r in rows}
