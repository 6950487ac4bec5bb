"""Syncing one photo with its sidecars: read every source, merge each field three ways, write
what the app owes (surgically, atomically), and record the outcome.

One function serves both directions. In *import* mode (scans, watcher events) nothing is
written: changes from other tools come in, and what the app owes stays pending for the writer.
In *write* mode (the write-behind queue, "Write metadata now", the CLI) the owed changes go out
too. A sidecar that changes while we merge, or a rating the user changes meanwhile, makes the
sync start over, so neither side's change is lost.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from humanaes_desktop.library.db import Database
from humanaes_desktop.library.records import Flag
from humanaes_desktop.library.xmp.atomic import SidecarChanged, Stamp, sha256, write_atomic
from humanaes_desktop.library.xmp.edit import NEW_PACKET, apply_changes
from humanaes_desktop.library.xmp.embedded import read_embedded_xmp
from humanaes_desktop.library.xmp.fields import (
    NS_XMP,
    RATING_FIELDS,
    Ratings,
    Reading,
    rating_changes,
    read_packet,
    score_changes,
)
from humanaes_desktop.library.xmp.merge import Outcome, merge_field, settle
from humanaes_desktop.library.xmp.names import (
    Listing,
    Listings,
    find_sidecars,
    new_sidecar_paths,
)
from humanaes_desktop.library.xmp.options import write_options
from humanaes_desktop.library.xmp.packet import (
    Packet,
    SidecarError,
    SidecarParseError,
    parse_packet,
)
from humanaes_desktop.library.xmp.records import Conflict, SyncResult, XmpSettings
from humanaes_desktop.library.xmp.state import (
    ImageState,
    SidecarStamp,
    StateChanged,
    SyncRecord,
    load_state,
    record_sync,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_PARSE_RETRY_S = 0.2  # darktable writes in place: a reader can catch half a file once
_DEFAULT = Ratings()
# One sync at a time in this process: the writer thread, a scan and the CLI never interleave
# their read-merge-write of the same file. Other processes are caught by the stamp checks.
_LOCK = threading.RLock()


@dataclass(frozen=True)
class Source:
    """One packet the photo's metadata comes from: a sidecar, or the XMP inside the photo."""

    path: str
    embedded: bool
    packet: Packet
    stamp: SidecarStamp | None  # sidecars only
    mtime: float


def encode(name: str, value) -> str:
    """A field value as stored in a conflict row."""
    return str(int(value)) if name in ("stars", "flag") else str(value)


def decode(name: str, text: str):
    """The inverse of `encode`."""
    if name == "flag":
        return Flag(int(text))
    return int(text) if name == "stars" else text


def _read_sidecar(path: str) -> Source:
    for attempt in (1, 2):
        before = Stamp.of(path)
        with open(path, "rb") as handle:
            data = handle.read()
        after = Stamp.of(path)
        if before is None or before != after:
            raise SidecarChanged(path)
        try:
            packet = parse_packet(data)
        except SidecarParseError as exc:
            if attempt == 2:
                raise SidecarParseError(f"{os.path.basename(path)}: {exc}") from exc
            time.sleep(_PARSE_RETRY_S)
            continue
        stamp = SidecarStamp(after.size, after.mtime_ns, sha256(data))
        return Source(path, False, packet, stamp, after.mtime_ns / 1e9)
    raise AssertionError("unreachable")


def read_sources(photo_path: str, listing: Listing | None = None) -> list[Source]:
    """The photo's sidecars (`name.ext.xmp` first), then its embedded packet if it has one.
    Raises SidecarError for a sidecar that cannot be read safely."""
    sources = []
    for path in find_sidecars(photo_path, listing):
        try:
            sources.append(_read_sidecar(path))
        except FileNotFoundError:
            raise SidecarChanged(path) from None
        except OSError as exc:
            raise SidecarError(f"{os.path.basename(path)} cannot be read: {exc.strerror}") from exc
    embedded = read_embedded_xmp(photo_path)
    if embedded is not None:
        try:
            packet = parse_packet(embedded)
        except SidecarParseError as exc:  # read-only: a bad embedded packet is just not used
            log.info("ignoring the XMP inside %s: %s", photo_path, exc)
        else:
            sources.append(Source(photo_path, True, packet, None, os.path.getmtime(photo_path)))
    return sources


def _os_reason(exc: OSError) -> str:
    name = os.path.basename(exc.filename) if exc.filename else "the sidecar"
    return f"{name} cannot be written: {exc.strerror or exc}"


def _combine(values: list[tuple[object, bool]], base):
    """Of one field's values in several sources ((value, source changed since the last sync)),
    a changed source's value that moved away from the base wins; else the first source's."""
    present = [(value, changed) for value, changed in values if value is not None]
    if not present:
        return None
    if base is not None:
        for value, changed in present:
            if changed and value != base:
                return value
    return present[0][0]


def file_values(readings: list[tuple[Reading, bool]], state: ImageState) -> Ratings:
    """The files' combined say on each field (see `_combine`); a reject (-1) hides the stars."""
    base = state.base
    stars = _combine([(r.stars, c) for r, c in readings], base.stars)
    if stars is None:
        hidden = any((r.rating_raw or "").strip() == "-1" for r, _ in readings)
        stars = (base.stars if base.stars is not None else state.app.stars) if hidden else 0
    flag = _combine([(r.flag, c) for r, c in readings], base.flag)
    color = _combine([(r.color, c) for r, c in readings], base.color)
    return Ratings(stars, flag if flag is not None else Flag.NONE, color or "")


def _changed_since_sync(source: Source, state: ImageState) -> bool:
    if source.embedded:
        return state.photo_stamp != state.embedded_stamp
    known = state.sidecars.get(source.path)
    return known is None or source.stamp is None or known.sha256 != source.stamp.sha256


class _Sync:
    def __init__(self, db: Database, settings: XmpSettings, write: bool, before_replace) -> None:
        self.db = db
        self.settings = settings
        self.write = write
        self.before_replace = before_replace
        self.readings: dict[str, Reading] = {}
        self.directory = ""

    def run(self, image_id: int, listings: Listings) -> SyncResult | None:
        state = load_state(self.db, image_id)
        if state is None or not os.path.isfile(state.path):
            return None
        self.directory = os.path.dirname(state.path)
        listing = listings.of(self.directory)
        try:
            return self._run(state, listing)
        except SidecarChanged:
            raise
        except (SidecarError, OSError) as exc:
            reason = str(exc) if isinstance(exc, SidecarError) else _os_reason(exc)
            log.warning("sidecar of %s: %s", state.path, reason)
            record_sync(self.db, SyncRecord(state, pending=state.pending, error=reason))
            return SyncResult(image_id, error=reason)

    def _run(self, state: ImageState, listing: Listing) -> SyncResult:
        sources = read_sources(state.path, listing)
        record = SyncRecord(state)
        target, to_write, conflicts = self._merge(state, sources, record)
        if self.write:
            written = self._write(state, sources, target, to_write, listing, record)
        else:
            written = ()
            record.sidecars = {s.path: s.stamp for s in sources if s.stamp is not None}
            record.pending = state.pending or bool(to_write)
            for name in to_write:  # still owed: the file keeps its old value until written
                record.base.pop(name, None)
        if not record_sync(self.db, record):
            raise StateChanged(state.image_id)
        fields = tuple(c.field for c in conflicts)
        return SyncResult(state.image_id, tuple(record.imports), written, fields)

    def _merge(self, state: ImageState, sources: list[Source], record: SyncRecord):
        app = state.app
        if not sources:  # nothing on disk says anything: the app's values are the truth
            to_write = {f for f in RATING_FIELDS if app.get(f) != _DEFAULT.get(f)}
            record.base = {f: app.get(f) for f in RATING_FIELDS}
            return app, to_write, []
        readings = [read_packet(s.packet, state.base, state.base.rating_raw) for s in sources]
        self.readings = {s.path: r for s, r in zip(sources, readings, strict=True)}
        changed = [_changed_since_sync(s, state) for s in sources]
        found = file_values(list(zip(readings, changed, strict=True)), state)
        record.rating_raw = next((r.rating_raw for r in readings if r.rating_raw is not None), None)
        newest = max(s.mtime for s in sources)
        values, to_write, conflicts = {}, set(), []
        for name in RATING_FIELDS:
            outcome = merge_field(
                found.get(name), state.base.get(name), app.get(name), _DEFAULT.get(name)
            )
            outcome = settle(outcome, self.settings.conflict_policy, newest, state.app_changed_at)
            if outcome == Outcome.WRITE_APP:
                values[name] = app.get(name)
                to_write.add(name)
            else:
                values[name] = found.get(name)
            if outcome == Outcome.TAKE_FILE:
                record.imports[name] = found.get(name)
            if outcome == Outcome.CONFLICT:
                conflicts.append(
                    Conflict(
                        state.image_id,
                        state.path,
                        name,
                        encode(name, app.get(name)),
                        encode(name, found.get(name)),
                        sources[0].path,
                        newest,
                        state.app_changed_at,
                    )
                )
            else:
                record.base[name] = values[name]
        record.conflicts = conflicts
        return Ratings(**values), to_write, conflicts

    def _write(self, state, sources, target: Ratings, to_write, listing, record) -> tuple[str, ...]:
        sidecars = [s for s in sources if not s.embedded]
        if sidecars:
            targets = [(s.path, s.packet, s.stamp) for s in sidecars]
        else:
            targets = [
                (p, parse_packet(NEW_PACKET), None)
                for p in new_sidecar_paths(state.path, self.settings.naming, listing)
            ]
            to_write = {f for f in RATING_FIELDS if target.get(f) != _DEFAULT.get(f)}
        scores = self._scores(state)
        written = []
        for path, packet, stamp in targets:
            fields = to_write | self._disagreeing(path, target, record)
            changes = rating_changes(packet, target, fields, write_options(self.settings))
            changes += score_changes(scores) if scores else []
            data = apply_changes(packet, changes) if changes else None
            if data is None:
                if stamp is not None:
                    record.sidecars[path] = stamp
                continue
            expect = None if stamp is None else Stamp(stamp.size, stamp.mtime_ns)
            new_stamp = write_atomic(path, data, expect=expect, before_replace=self.before_replace)
            record.sidecars[path] = SidecarStamp(new_stamp.size, new_stamp.mtime_ns, sha256(data))
            written.append(path)
            if path == targets[0][0]:
                record.rating_raw = parse_packet(data).value(NS_XMP, "Rating")
        return tuple(written)

    def _disagreeing(self, path: str, target: Ratings, record: SyncRecord) -> set[str]:
        """Fields this sidecar states differently from the merged result (another sidecar of
        the photo won): they are brought in line too, except fields left in conflict."""
        reading = self.readings.get(path)
        if reading is None:
            return set()
        in_conflict = {c.field for c in record.conflicts}
        return {
            name
            for name in RATING_FIELDS
            if name not in in_conflict
            and reading.get(name) is not None
            and reading.get(name) != target.get(name)
        }

    def _scores(self, state: ImageState):
        scores = state.scores
        if not self.settings.write_scores or scores is None:
            return None
        if scores.synthetic and not self.settings.write_synthetic:
            return None
        return scores


def sync_image(
    db: Database,
    image_id: int,
    settings: XmpSettings,
    *,
    write: bool,
    listings: Listings | None = None,
    before_replace: Callable[[str], None] | None = None,
) -> SyncResult | None:
    """Sync one photo with its sidecars (see the module docstring); None if it is not on disk.

    A sidecar changed by another program during the sync, or a rating changed by the user,
    restarts the merge (a few times at most); a sidecar that cannot be parsed is never written,
    and the photo records the error instead.
    """
    listings = listings or Listings()
    for _attempt in range(MAX_ATTEMPTS):
        with _LOCK:
            sync = _Sync(db, settings, write, before_replace)
            try:
                return sync.run(image_id, listings)
            except (SidecarChanged, StateChanged) as exc:
                log.info(
                    "photo %d changed during its sidecar sync (%s); merging again", image_id, exc
                )
                listings.forget(sync.directory)
    return SyncResult(image_id, error="the sidecar kept changing while it was being updated")
