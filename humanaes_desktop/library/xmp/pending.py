"""Recording that photos owe their sidecars an update, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from humanaes_desktop.library.schema import XmpSyncOrm

_CHUNK = 5000


def mark_pending(session: Session, image_ids: Sequence[int]) -> None:
    """These photos' sidecars must be brought up to date (committed with the change itself,
    so a crash before the write is repaired at the next start)."""
    table = XmpSyncOrm.__table__
    for start in range(0, len(image_ids), _CHUNK):
        rows = [
            {"image_id": i, "pending": True, "change_seq": 1}
            for i in image_ids[start : start + _CHUNK]
        ]
        statement = insert(table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.image_id],
            set_={"pending": True, "change_seq": table.c.change_seq + 1},
        )
        session.execute(statement)
