"""`humanaes library groups` output: JSON (one object per group) or CSV (one row per member)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import TextIO

CSV_FIELDS = (
    "group_key",
    "kind",
    "keep_whole",
    "path",
    "position",
    "rank",
    "suggested_pick",
    "score",
    "reasons",
)


def _group_json(group) -> dict:
    pick = group.pick
    return {
        "key": group.key,
        "kind": group.kind,
        "keep_whole": group.keep_whole,
        "folder": group.folder_id,
        "scene": group.scene_key,
        "pick": pick.path if pick else None,
        "members": [
            {
                "path": m.path,
                "position": m.position,
                "rank": m.rank,
                "suggested_pick": m.is_pick,
                "score": m.score,
                "reasons": list(m.reasons),
                "why": m.reason_text,
            }
            for m in group.members
        ],
    }


def write_groups(target: TextIO, groups: Sequence, output_format: str) -> None:
    """Write groups (library GroupRecords) as JSON or CSV."""
    if output_format == "json":
        json.dump([_group_json(g) for g in groups], target, indent=1)
        target.write("\n")
        return
    writer = csv.DictWriter(target, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for group in groups:
        for m in group.members:
            writer.writerow(
                {
                    "group_key": group.key,
                    "kind": group.kind,
                    "keep_whole": group.keep_whole,
                    "path": m.path,
                    "position": m.position,
                    "rank": m.rank,
                    "suggested_pick": m.is_pick,
                    "score": m.score,
                    "reasons": " ".join(m.reasons),
                }
            )
