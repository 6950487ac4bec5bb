"""What a migration must get right, read from a library file with the system's SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def shape(path: Path) -> dict:
    """Tables with their columns, indexes with theirs, and triggers with their SQL: what a
    migration must get right."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = {t: sorted(r[1] for r in conn.execute(f"PRAGMA table_info({t})")) for t in tables}
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")]
        indexes = {
            name: [r[2] for r in conn.execute(f"PRAGMA index_info({name})")]
            for name in names
            if not name.startswith("sqlite_autoindex")
        }
        triggers = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'"))
    conn.close()
    return {"columns": columns, "indexes": indexes, "triggers": triggers}


def dump(path: Path) -> list[str]:
    """The database's logical content (schema + rows), independent of journal-mode header bytes."""
    with sqlite3.connect(path) as conn:
        lines = list(conn.iterdump())
    conn.close()
    return lines
