"""The library's sidecar settings, stored in the library itself so the app and the CLI agree."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields, replace

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.schema import XmpSettingOrm
from humanaes_desktop.library.xmp.fields import WriteOptions
from humanaes_desktop.library.xmp.merge import POLICIES
from humanaes_desktop.library.xmp.names import DEFAULT_NAMING, NAMING_CHOICES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class XmpSettings:
    """What the sidecar sync does for this library."""

    enabled: bool = True  # ratings, picks and labels are written to and read from sidecars
    write_scores: bool = False  # also the model's scores, in our own namespace
    write_synthetic: bool = False  # scores of a synthetic model too (marked synthetic)
    naming: str = DEFAULT_NAMING  # for new sidecars: "name.ext.xmp", "name.xmp" or "both"
    reject_as_minus_one: bool = True  # rejected photos get xmp:Rating -1 (darktable, Immich)
    digikam: bool = True  # write digiKam:PickLabel for picks and rejects
    conflict_policy: str = "ask"  # "ask" (list it), "app", "file" or "newest"

    def write_options(self) -> WriteOptions:
        return WriteOptions(self.reject_as_minus_one, self.digikam)


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
            settings = replace(settings, **{name: validated(name, json.loads(text))})
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
