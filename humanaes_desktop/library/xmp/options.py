"""The library's sidecar settings, stored in the library itself so the app and the CLI agree."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, fields, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.schema import XmpSettingOrm
from humanaes_desktop.library.xmp.fields import WriteOptions
from humanaes_desktop.library.xmp.records import NAMING_CHOICES, POLICIES, XmpSettings

log = logging.getLogger(__name__)


def write_options(settings: XmpSettings) -> WriteOptions:
    """The settings that shape edits."""
    return WriteOptions(settings.reject_as_minus_one, settings.digikam)


_CHOICES = {"naming": NAMING_CHOICES, "conflict_policy": POLICIES}


def validated(name: str, value) -> object:
    """`value` if acceptable for setting `name`; ValueError with a sentence otherwise."""
    known = {f.name: f for f in fields(XmpSettings)}
    if name not in known:
        raise ValueError(f"unknown sidecar setting {name!r}; known: {', '.join(known)}")
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise ValueError(f"{name} must be one of {', '.join(_CHOICES[name])}, not {value!r}")
        return value
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value


def load_settings(db: Database) -> XmpSettings:
    """The stored settings; unknown or invalid stored values fall back to defaults (logged)."""
    with db.read() as session:
        stored = dict(session.execute(select(XmpSettingOrm.key, XmpSettingOrm.value)).all())
    settings = XmpSettings()
    for name, text in stored.items():
        try:
            changes: dict[str, Any] = {name: validated(name, json.loads(text))}
            settings = replace(settings, **changes)
        except (ValueError, TypeError) as exc:
            log.warning("ignoring the stored sidecar setting %s=%s: %s", name, text, exc)
    return settings


def save_settings(db: Database, **changes) -> XmpSettings:
    """Change some settings (validated first; nothing is stored if one is invalid)."""
    checked = {name: validated(name, value) for name, value in changes.items()}
    if checked:
        statement = insert(XmpSettingOrm)
        statement = statement.on_conflict_do_update(
            index_elements=[XmpSettingOrm.key], set_={"value": statement.excluded.value}
        )
        with db.write() as session:
            session.execute(
                statement, [{"key": k, "value": json.dumps(v)} for k, v in checked.items()]
            )
    return load_settings(db)


def as_dict(settings: XmpSettings) -> dict[str, object]:
    """The settings as plain data (for `xmp status` and the Settings dialog)."""
    return asdict(settings)
