"""The three-way merge of one field: the file's value F, the last synced value B, the app's A.

  F == A            nothing to do
  F == B            only the app changed: write A
  A == B            only the file changed (another tool): import F
  otherwise         both changed: a conflict, settled by the user's policy or listed

Never synced (no B): an app value still at its default takes the file's value (importing a
folder another tool rated shows those ratings at once); a file saying nothing takes the app's.
"""

from __future__ import annotations

from enum import Enum

from humanaes_desktop.library.xmp.records import POLICIES


class Outcome(str, Enum):
    IN_SYNC = "in_sync"
    TAKE_FILE = "take_file"
    WRITE_APP = "write_app"
    CONFLICT = "conflict"


def merge_field(file_value, base_value, app_value, default) -> Outcome:
    """What to do with one field (see the module docstring)."""
    if file_value == app_value:
        return Outcome.IN_SYNC
    if base_value is None:
        if app_value == default:
            return Outcome.TAKE_FILE
        if file_value == default:
            return Outcome.WRITE_APP
        return Outcome.CONFLICT
    if file_value == base_value:
        return Outcome.WRITE_APP
    if app_value == base_value:
        return Outcome.TAKE_FILE
    return Outcome.CONFLICT


def settle(
    outcome: Outcome, policy: str, file_time: float | None, app_time: float | None
) -> Outcome:
    """A conflict settled by the policy: "app", "file", "newest" (file mtime against the app's
    last edit), or left a conflict for the user ("ask")."""
    if outcome != Outcome.CONFLICT or policy == "ask":
        return outcome
    if policy == "app":
        return Outcome.WRITE_APP
    if policy == "file":
        return Outcome.TAKE_FILE
    if policy == "newest":
        if file_time is not None and (app_time is None or file_time > app_time):
            return Outcome.TAKE_FILE
        return Outcome.WRITE_APP
    raise ValueError(f"unknown conflict policy {policy!r}; expected one of {POLICIES}")
