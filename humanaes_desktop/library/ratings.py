"""The user's own ratings: stars, pick/reject flag, colour label. Nothing else writes them."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.records import Flag
from humanaes_desktop.library.schema import ImageOrm, RatingOrm
from humanaes_desktop.library.xmp.pending import mark_pending

COLORS: tuple[str, ...] = ("red", "yellow", "green", "blue", "purple")
CLEAR_COLOR = ""  # pass color="" to remove a colour label (None means "leave unchanged")


def _validated(stars: int | None, flag: Flag | int | None, color: str | None) -> dict:
    changes: dict[str, object] = {}
    if stars is not None:
        if not 0 <= int(stars) <= 5:
            raise ValueError(f"stars must be 0..5, not {stars}")
        changes["stars"] = int(stars)
    if flag is not None:
        changes["flag"] = int(Flag(flag))
    if color is not None:
        if color != CLEAR_COLOR and color not in COLORS:
            raise ValueError(f"unknown colour {color!r}; expected one of {COLORS}")
        changes["color"] = color or None
    return changes


def set_rating(
    db: Database,
    image_ids: Sequence[int],
    *,
    stars: int | None = None,
    flag: Flag | int | None = None,
    color: str | None = None,
) -> list[int]:
    """Change the given fields of the images' ratings; fields left None stay as they are.

    Returns the ids really changed (photos purged meanwhile are left out); their sidecars are
    marked as owing the change in the same transaction.
    """
    changes = _validated(stars, flag, color)
    if not changes or not image_ids:
        return []
    with db.write() as session:
        # The caller's ids may include a photo purged (or replaced by a move) a moment ago.
        present = _existing_ids(session, image_ids)
        if present:
            write_ratings(session, present, changes)
            mark_pending(session, present)
    return present


def write_ratings(session: Session, image_ids: Sequence[int], changes: dict) -> None:
    """Upsert validated rating fields (stars, flag as int, color or None) for existing images."""
    now = time.time()
    statement = insert(RatingOrm)
    statement = statement.on_conflict_do_update(
        index_elements=[RatingOrm.image_id],
        set_={**{k: statement.excluded[k] for k in changes}, "updated_at": now},
    )
    defaults = {"stars": 0, "flag": 0, "color": None}
    session.execute(
        statement,
        [{**defaults, **changes, "image_id": i, "updated_at": now} for i in image_ids],
    )
    copies = {k: v for k, v in changes.items() if k in ("stars", "flag")}
    if copies:  # the image rows carry copies for sorting and filtering
        for start in range(0, len(image_ids), 5000):
            chunk = list(image_ids[start : start + 5000])
            session.execute(update(ImageOrm).where(ImageOrm.id.in_(chunk)).values(copies))


def _existing_ids(session: Session, image_ids: Sequence[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(image_ids), 5000):
        chunk = list(image_ids[start : start + 5000])
        found += session.scalars(select(ImageOrm.id).where(ImageOrm.id.in_(chunk)))
    return found


def inherit_rating(session: Session, replaced_id: int, image_id: int) -> None:
    """Give `image_id` the rating fields it lacks from `replaced_id`, a photo it overwrote.

    A file renamed or moved onto another takes its place; its own stars, flag and colour win,
    but whatever it leaves unset comes from the replaced photo, so no rating silently vanishes
    with the replaced row.
    """
    old = session.get(RatingOrm, replaced_id)
    if old is None:
        return
    new = session.get(RatingOrm, image_id)
    if new is None:
        new = RatingOrm(image_id=image_id, stars=0, flag=0, color=None, updated_at=time.time())
        session.add(new)
    new.stars = new.stars or old.stars
    new.flag = new.flag or old.flag
    new.color = new.color or old.color
    session.flush()
    session.execute(
        update(ImageOrm).where(ImageOrm.id == image_id).values(stars=new.stars, flag=new.flag)
    )
