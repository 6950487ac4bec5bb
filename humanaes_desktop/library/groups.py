"""Bursts, sets and scenes of a folder, computed from the stored signals and stored as
`photo_groups` rows with the suggested pick and the reasons of every member.

Regrouping a folder reloads its grouping columns (no JSON: 100k rows load as plain tuples),
groups it in one pass (engine/culling/grouping.py), ranks each burst, and writes only the rows
that changed, so a few photos added to a big folder rewrite a few rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from humanaes_desktop.engine.culling.best import (
    REASON_TEXT,
    Candidate,
    FaceView,
    keep_whole,
    rank_burst,
)
from humanaes_desktop.engine.culling.grouping import (
    KEEP_WHOLE,
    Codes,
    GroupingSettings,
    Shoot,
    group_shoot,
)
from humanaes_desktop.engine.culling.hashes import to_unsigned
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.files import absolute_path
from humanaes_desktop.library.records import ImageStatus
from humanaes_desktop.library.schema import (
    EmbeddingOrm,
    FolderOrm,
    GroupMemberOrm,
    ImageOrm,
    SignalsOrm,
)

_GROUPING_COLUMNS = (
    SignalsOrm.image_id,
    SignalsOrm.capture_time,
    SignalsOrm.counter,
    SignalsOrm.phash,
    SignalsOrm.dhash,
    SignalsOrm.flat,
    SignalsOrm.camera,
    SignalsOrm.landscape,
    SignalsOrm.exposure_bias,
    SignalsOrm.exposure_key,
    SignalsOrm.peak_x,
    SignalsOrm.peak_y,
    SignalsOrm.burst_id,
    SignalsOrm.profile,
    EmbeddingOrm.vector,
)
_ROW_FIELDS = (
    "group_key",
    "kind",
    "group_size",
    "position",
    "rank",
    "score",
    "reasons",
    "scene_key",
)


@dataclass(frozen=True)
class GroupMember:
    image_id: int
    path: str
    position: int  # capture order inside the group
    rank: int | None  # 0 = the suggested pick; None in a set kept whole
    score: float | None
    reasons: tuple[str, ...]  # keys of engine.culling.best.REASON_TEXT

    @property
    def is_pick(self) -> bool:
        return self.rank == 0

    @property
    def reason_text(self) -> str:
        return ", ".join(REASON_TEXT.get(r, r) for r in self.reasons)


@dataclass(frozen=True)
class GroupRecord:
    """A burst or a set of one folder, members in capture order."""

    key: int  # image id of its first frame
    kind: str  # "burst", "bracket", "focus_stack", "panorama"
    folder_id: int
    scene_key: int
    members: tuple[GroupMember, ...]

    @property
    def pick(self) -> GroupMember | None:
        """The suggested frame of a burst (sets have none: keep them whole)."""
        return next((m for m in self.members if m.is_pick), None)

    @property
    def keep_whole(self) -> bool:
        return self.kind in KEEP_WHOLE


def _load_shoot(db: Database, folder_id: int, since: float | None) -> Shoot:
    statement = (
        select(*_GROUPING_COLUMNS)
        .join(ImageOrm, ImageOrm.id == SignalsOrm.image_id)
        .outerjoin(EmbeddingOrm, EmbeddingOrm.image_id == SignalsOrm.image_id)
        .where(
            ImageOrm.folder_id == folder_id,
            ImageOrm.status != ImageStatus.MISSING.value,
            SignalsOrm.error.is_(None),
        )
    )
    if since is not None:
        statement = statement.where(SignalsOrm.capture_time >= since)
    with db.read() as session:
        rows = session.connection().execute(statement).all()
    return _shoot_from_rows(rows)


def _window_start(db: Database, folder_id: int, since: float) -> float | None:
    """Where regrouping must start for photos taken from `since` on: the first photo of the
    scene stored just before them (bursts and sets never cross a scene boundary, so nothing
    earlier can change). None: from the beginning."""
    before = (
        select(GroupMemberOrm.scene_key)
        .join(SignalsOrm, SignalsOrm.image_id == GroupMemberOrm.image_id)
        .where(GroupMemberOrm.folder_id == folder_id, SignalsOrm.capture_time < since)
        .order_by(SignalsOrm.capture_time.desc())
        .limit(1)
    )
    with db.read() as session:
        scene_key = session.scalar(before)
        if scene_key is None:
            return None
        return session.scalar(
            select(SignalsOrm.capture_time).where(SignalsOrm.image_id == scene_key)
        )


def _shoot_from_rows(rows) -> Shoot:
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(_GROUPING_COLUMNS)
    cameras, exposures, bursts = Codes(), Codes(), Codes()

    def floats(values, default=np.nan):
        return np.asarray([default if v is None else v for v in values], np.float64)

    profiles = np.zeros((n, 64), np.uint8)
    for i, blob in enumerate(cols[13]):
        if blob and len(blob) == 64:
            profiles[i] = np.frombuffer(blob, np.uint8)
    return Shoot(
        ids=np.asarray(cols[0], np.int64),
        time=floats(cols[1], 0.0),
        counter=np.asarray([-1 if v is None else v for v in cols[2]], np.int64),
        phash=np.asarray([to_unsigned(v or 0) for v in cols[3]], np.uint64),
        dhash=np.asarray([to_unsigned(v or 0) for v in cols[4]], np.uint64),
        flat=np.asarray([bool(v) for v in cols[5]], bool),
        camera=np.asarray([cameras(v) for v in cols[6]], np.int64),
        landscape=np.asarray([bool(v) for v in cols[7]], bool),
        exposure_bias=floats(cols[8]),
        exposure_key=np.asarray([exposures(v) for v in cols[9]], np.int64),
        peak_xy=np.stack([floats(cols[10], 0.5), floats(cols[11], 0.5)], axis=1).reshape(n, 2),
        burst_id=np.asarray([bursts(v) for v in cols[12]], np.int64),
        profile=profiles,
        embedding=_embeddings(cols[14]) if any(v is not None for v in cols[14]) else None,
    )


def _embeddings(blobs: Sequence[bytes | None]) -> np.ndarray:
    width = max(len(b) for b in blobs if b) // 2
    out = np.full((len(blobs), width), np.nan, np.float32)
    for i, blob in enumerate(blobs):
        if blob and len(blob) == 2 * width:
            vector = np.frombuffer(blob, np.float16).astype(np.float32)
            out[i] = vector / (np.linalg.norm(vector) or 1.0)
    return out


def _candidates(
    db: Database, folder_id: int, start: float | None, ids: set[int]
) -> dict[int, Candidate]:
    """Best-of inputs of burst members (`ids`), read for the folder's window in one query
    (an IN list of 60k ids would be slower, and too long for older SQLite)."""
    statement = (
        select(
            SignalsOrm.image_id,
            SignalsOrm.sharpness_peak,
            SignalsOrm.sharpness,
            SignalsOrm.face_sharpness,
            SignalsOrm.eye_sharpness,
            SignalsOrm.highlights_clipped,
            SignalsOrm.shadows_clipped,
            SignalsOrm.luma_mean,
            SignalsOrm.face_count,
            SignalsOrm.faces_json,
            ImageOrm.overall,
        )
        .join(ImageOrm, ImageOrm.id == SignalsOrm.image_id)
        .where(ImageOrm.folder_id == folder_id, SignalsOrm.error.is_(None))
    )
    if start is not None:
        statement = statement.where(SignalsOrm.capture_time >= start)
    with db.read() as session:
        rows = session.connection().execute(statement).all()
    out = {}
    for image_id, peak, whole, face, eyes, high, low, luma, count, faces, overall in rows:
        if image_id not in ids:
            continue
        views = tuple(FaceView(*f) for f in json.loads(faces)) if count else ()
        out[image_id] = Candidate(
            image_id, peak or 0.0, whole or 0.0, face, eyes, views, high or 0.0, low or 0.0,
            luma or 0.0, overall,
        )  # fmt: skip
    return out


def _desired_rows(
    db: Database, folder_id: int, start: float | None, settings: GroupingSettings
) -> dict[int, tuple]:
    shoot = _load_shoot(db, folder_id, start)
    grouping = group_shoot(shoot, settings)
    sorted_ids = shoot.ids[grouping.order]
    scene_keys: dict[int, int] = {}
    rows: dict[int, tuple] = {}
    for position, image_id in enumerate(sorted_ids):
        scene = int(grouping.scene[position])
        scene_key = scene_keys.setdefault(scene, int(image_id))
        rows[int(image_id)] = (None, None, 1, 0, None, None, "", scene_key)
    members = {g: [int(shoot.ids[r]) for r in rows_] for g, rows_ in grouping.members().items()}
    burst_ids = [i for g, ids in members.items() if grouping.kinds[g] == "burst" for i in ids]
    candidates = _candidates(db, folder_id, start, set(burst_ids)) if burst_ids else {}
    for number, ids in members.items():
        kind = grouping.kinds[number]
        group = [candidates.get(i) or _bare(i) for i in ids]
        verdicts = keep_whole(group) if kind in KEEP_WHOLE else rank_burst(group)
        by_id = {v.image_id: v for v in verdicts}
        for position, image_id in enumerate(ids):
            v = by_id[image_id]
            rank = None if kind in KEEP_WHOLE else v.rank
            score = None if kind in KEEP_WHOLE else v.score
            rows[image_id] = (
                ids[0],
                kind,
                len(ids),
                position,
                rank,
                score,
                ",".join(v.reasons),
                rows[image_id][7],
            )
    return rows


def _bare(image_id: int) -> Candidate:
    return Candidate(image_id, 0.0, 0.0, None, None, (), 0.0, 0.0, 0.0)


def regroup_folder(
    db: Database,
    folder_id: int,
    settings: GroupingSettings | None = None,
    since: float | None = None,
) -> int:
    """Recompute a folder's groups and suggestions; returns how many rows changed.

    With `since` (the earliest capture time among photos just analysed) only the scenes from
    there on are regrouped: an import into a big folder costs what its own scenes cost."""
    settings = settings or GroupingSettings()
    start = _window_start(db, folder_id, since) if since is not None else None
    wanted = _desired_rows(db, folder_id, start, settings)
    stored_rows = select(
        GroupMemberOrm.image_id, *(getattr(GroupMemberOrm, f) for f in _ROW_FIELDS)
    ).where(GroupMemberOrm.folder_id == folder_id)
    if start is not None:
        stored_rows = stored_rows.join(
            SignalsOrm, SignalsOrm.image_id == GroupMemberOrm.image_id
        ).where(SignalsOrm.capture_time >= start)
    with db.read() as session:
        stored = {r[0]: tuple(r[1:]) for r in session.execute(stored_rows)}
    changed = [i for i, row in wanted.items() if stored.get(i) != row]
    gone = [i for i in stored if i not in wanted]
    if not changed and not gone:
        return 0
    statement = sqlite_insert(GroupMemberOrm)
    statement = statement.on_conflict_do_update(
        index_elements=[GroupMemberOrm.image_id],
        set_={f: statement.excluded[f] for f in ("folder_id", *_ROW_FIELDS)},
    )
    with db.write() as session:
        for start in range(0, len(changed), 5000):
            chunk = changed[start : start + 5000]
            session.execute(
                statement,
                [
                    {
                        "image_id": i,
                        "folder_id": folder_id,
                        **dict(zip(_ROW_FIELDS, wanted[i], strict=True)),
                    }
                    for i in chunk
                ],
            )
        for start in range(0, len(gone), 5000):
            session.execute(
                delete(GroupMemberOrm).where(
                    GroupMemberOrm.image_id.in_(gone[start : start + 5000])
                )
            )
    return len(changed) + len(gone)


def list_groups(
    db: Database, folder_id: int | None = None, image_id: int | None = None
) -> list[GroupRecord]:
    """Bursts and sets (of one folder, or holding one image), in capture order."""
    statement = (
        select(
            GroupMemberOrm.image_id,
            GroupMemberOrm.folder_id,
            GroupMemberOrm.group_key,
            GroupMemberOrm.kind,
            GroupMemberOrm.position,
            GroupMemberOrm.rank,
            GroupMemberOrm.score,
            GroupMemberOrm.reasons,
            GroupMemberOrm.scene_key,
            FolderOrm.path,
            ImageOrm.rel_path,
            SignalsOrm.capture_time,
        )
        .join(ImageOrm, ImageOrm.id == GroupMemberOrm.image_id)
        .join(FolderOrm, FolderOrm.id == ImageOrm.folder_id)
        .outerjoin(SignalsOrm, SignalsOrm.image_id == GroupMemberOrm.image_id)
        .where(
            GroupMemberOrm.group_key.is_not(None),
            ImageOrm.status != ImageStatus.MISSING.value,
        )
    )
    if folder_id is not None:
        statement = statement.where(GroupMemberOrm.folder_id == folder_id)
    if image_id is not None:
        its_group = select(GroupMemberOrm.group_key).where(GroupMemberOrm.image_id == image_id)
        statement = statement.where(GroupMemberOrm.group_key == its_group.scalar_subquery())
    with db.read() as session:
        rows = session.execute(statement).all()
    grouped: dict[int, list] = {}
    for r in rows:
        grouped.setdefault(r.group_key, []).append(r)
    records = []
    for key, members in grouped.items():
        members.sort(key=lambda r: r.position)
        records.append(
            GroupRecord(
                key=key,
                kind=members[0].kind,
                folder_id=members[0].folder_id,
                scene_key=members[0].scene_key,
                members=tuple(
                    GroupMember(
                        image_id=m.image_id,
                        path=absolute_path(m.path, m.rel_path),
                        position=m.position,
                        rank=m.rank,
                        score=m.score,
                        reasons=tuple(x for x in m.reasons.split(",") if x),
                    )
                    for m in members
                ),
            )
        )
    first_time = {r.group_key: r.capture_time or 0.0 for r in rows if r.position == 0}
    records.sort(key=lambda g: (first_time.get(g.key, 0.0), g.key))
    return records


def suggested_picks(db: Database, folder_id: int | None = None) -> list[int]:
    """The suggested frame of every burst (of one folder, or all)."""
    statement = select(GroupMemberOrm.image_id).where(
        GroupMemberOrm.rank == 0, GroupMemberOrm.kind == "burst"
    )
    if folder_id is not None:
        statement = statement.where(GroupMemberOrm.folder_id == folder_id)
    with db.read() as session:
        return list(session.scalars(statement.order_by(GroupMemberOrm.image_id)))


def folders_of(db: Database, image_ids: Sequence[int]) -> set[int]:
    with db.read() as session:
        return set(
            session.scalars(
                select(ImageOrm.folder_id).where(ImageOrm.id.in_(list(image_ids))).distinct()
            )
        )


def _embedding_upsert():
    statement = sqlite_insert(EmbeddingOrm)
    return statement.on_conflict_do_update(
        index_elements=[EmbeddingOrm.image_id],
        set_={"model_key": statement.excluded.model_key, "vector": statement.excluded.vector},
    )


def store_embedding(session, image_id: int, model_key: str, vector: bytes) -> None:
    """Keep one image's compact embedding from scoring (inside the caller's transaction)."""
    session.execute(
        _embedding_upsert(), [{"image_id": image_id, "model_key": model_key, "vector": vector}]
    )


def store_embeddings(db: Database, model_key: str, vectors: dict[int, bytes]) -> None:
    """Keep the compact image embeddings scoring produced (one per image, latest wins)."""
    if not vectors:
        return
    with db.write() as session:
        session.execute(
            _embedding_upsert(),
            [{"image_id": i, "model_key": model_key, "vector": v} for i, v in vectors.items()],
        )


__all__ = [
    "GroupMember",
    "GroupRecord",
    "list_groups",
    "regroup_folder",
    "store_embedding",
    "store_embeddings",
    "suggested_picks",
]
