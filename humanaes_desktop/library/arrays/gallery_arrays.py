"""`GalleryArrays`: the gallery's sorts and filters answered from memory, for a million photos.

Loaded once (off the GUI thread: `load`), then caught up from the library's change log before
every query (`sync`: one indexed read that finds nothing when nothing changed), and whenever the
app is told something changed. The database stays the truth: writes go there, rows and the
detail panel are read from there; these arrays only hold what sorting and filtering need.

Thread-safe: queries and catch-ups take one lock (a query holds it for milliseconds); a full
load reads into a new snapshot outside the lock and swaps it in.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from humanaes_desktop.engine.profiles import QUICK_MAX_TILES
from humanaes_desktop.library import taste_store
from humanaes_desktop.library.arrays.filters import gallery_mask, uncovered
from humanaes_desktop.library.arrays.loading import (
    Changes,
    Progress,
    Snapshot,
    read_changes,
    read_everything,
)
from humanaes_desktop.library.arrays.orders import SortedOrder, SortOrders
from humanaes_desktop.library.arrays.sort_keys import (
    array_sort_key,
    column_values,
    has_array_sort,
    orders_reading,
    taste_signature,
    taste_values,
)
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.queries import NULLABLE_SORTS, SORT_KEYS, TasteNotLearntError
from humanaes_desktop.library.records import GalleryQuery

log = logging.getLogger(__name__)

# More changed photos than this share of the library: reading everything again is cheaper.
_RELOAD_SHARE = 0.25
# Orders built ahead, after a load: the keys people sort by most, the default first.
WARM_KEYS: tuple[str, ...] = ("overall", "file_name", "captured_at", "mtime", "stars", "status")


@dataclass(frozen=True)
class _Taste:
    signature: str  # taste_signature of the document
    document: dict
    values: np.ndarray  # every id's taste value (NaN: unscored)


def _refreshed_taste(taste: _Taste, table, moved: dict[str, np.ndarray]) -> _Taste:
    """The taste values after these column changes (only the changed photos are recomputed)."""
    touched = [moved[c] for c in array_sort_key("taste").columns if c in moved]
    if not touched and len(taste.values) == table.size:
        return taste
    values = np.full(table.size, np.nan, dtype=np.float32)
    values[: len(taste.values)] = taste.values[: table.size]
    ids = np.unique(np.concatenate(touched)) if touched else np.empty(0, np.int64)
    ids = np.union1d(ids, np.arange(len(taste.values), table.size))
    values[ids] = taste_values(table, taste.document, ids)
    return _Taste(taste.signature, taste.document, values)


@dataclass
class _State:
    snapshot: Snapshot
    orders: SortOrders
    taste: _Taste | None = None  # the values of the last taste sorted by


class GalleryArrays:
    """In-memory sort and filter columns of one library."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.RLock()
        self._state: _State | None = None
        self._fallbacks_told: set[tuple[str, ...]] = set()

    @property
    def ready(self) -> bool:
        """True once loaded."""
        return self._state is not None

    def load(self, progress: Progress | None = None) -> int:
        """Read every photo's columns (seconds at a million photos); returns how many."""
        snapshot = read_everything(self._db, progress)
        with self._lock:
            self._state = _State(snapshot, SortOrders())
        return snapshot.table.count()

    def sync(self) -> int:
        """Catch up with writes since the last load or sync; returns how many photos changed."""
        with self._lock:
            state = self._require()
            size = max(1, state.snapshot.table.count())
            changes = read_changes(self._db, state.snapshot.version, int(size * _RELOAD_SHARE))
            if changes is None:
                log.info("many photos changed: reading the gallery columns again")
                self._state = _State(read_everything(self._db), SortOrders())
                return self._state.snapshot.table.count()
            self._apply(state, changes)
            return len(changes)

    def _apply(self, state: _State, changes: Changes) -> None:
        table, orders = state.snapshot.table, state.orders
        size_before = table.size
        moved = table.clear(changes.gone) if len(changes.gone) else {}
        for name, ids in table.write(changes.ids, changes.values).items():
            moved[name] = np.concatenate([moved[name], ids]) if name in moved else ids
        if table.size != size_before:
            orders.grew()
        for column, ids in moved.items():
            for order_name in orders_reading(column):
                orders.changed(order_name, ids)
        state.snapshot.names.apply(changes.names, changes.gone)
        if state.taste is not None:
            state.taste = _refreshed_taste(state.taste, table, moved)
        state.snapshot.version = changes.version

    def _require(self) -> _State:
        if self._state is None:
            raise RuntimeError("the gallery arrays are not loaded yet")
        return self._state

    # -- queries ----------------------------------------------------------------------------
    def answers(self, query: GalleryQuery) -> bool:
        """Whether to answer `query` from the arrays: loaded, and holding its sort key and
        every filter it sets. Otherwise it goes to SQL (same answer, slower), logged once per
        kind of query at INFO."""
        if self._state is None:
            return False
        missing = tuple(uncovered(query))
        if query.sort_key in SORT_KEYS and not has_array_sort(query.sort_key):  # else refused
            missing += (f"sort key {query.sort_key!r}",)
        if not missing:
            return True
        level = logging.DEBUG if missing in self._fallbacks_told else logging.INFO
        self._fallbacks_told.add(missing)
        log.log(level, "gallery arrays lack %s: sorting and filtering in SQL", ", ".join(missing))
        return False

    def query_ids(
        self, query: GalleryQuery, *, limit: int | None = None, scored_only: bool = False
    ) -> np.ndarray:
        """The ids the query shows, in display order (as `queries.query_ids`, as int32)."""
        array_sort_key(query.sort_key)  # an unknown key fails before any work
        with self._lock:
            self.sync()
            state = self._require()
            order = self._order(state, query.sort_key)
            mask = gallery_mask(state.snapshot.table, state.snapshot.names, query)
            return _ordered(order, mask, query, key_nullable(query.sort_key) and not scored_only,
                            limit)  # fmt: skip

    def profile_mix(self, query: GalleryQuery) -> tuple[int, int]:
        """(quick, full): how many photos the query shows with a quick score and with a full
        one (as `queries.profile_counts`)."""
        with self._lock:
            self.sync()
            state = self._require()
            mask = gallery_mask(state.snapshot.table, state.snapshot.names, query)
            tiles = state.snapshot.table.column("max_tiles")[mask]
            quick = int(np.count_nonzero((tiles > 0) & (tiles <= QUICK_MAX_TILES)))
            return quick, int(np.count_nonzero(tiles > QUICK_MAX_TILES))

    def _order(self, state: _State, sort_key: str) -> SortedOrder:
        key = array_sort_key(sort_key)
        table = state.snapshot.table
        if key.order_name == "file_name":
            ids = state.snapshot.names.ids_in_order()
            return SortedOrder(ids, len(ids))
        if key.order_name == "taste":
            return self._taste_order(state)
        return state.orders.get(key.order_name, lambda: column_values(table, key))

    def _taste_order(self, state: _State) -> SortedOrder:
        document = taste_store.load_taste(self._db)
        if not document or not document.get("offered"):
            reason = document["reason"] if document else "no taste has been learnt yet"
            raise TasteNotLearntError(f"Sorting by your taste is off: {reason}")
        signature = taste_signature(document)
        if state.taste is None or state.taste.signature != signature:
            state.orders.forget("taste")
            values = taste_values(state.snapshot.table, document)
            state.taste = _Taste(signature, document, values)
        values = state.taste.values
        return state.orders.get("taste", lambda: values)

    def warm(self, keys: tuple[str, ...] = WARM_KEYS) -> None:
        """Build the orders of these keys now (after a load, off the GUI thread), one at a time
        so queries are never held up for long."""
        for key in keys:
            with self._lock:
                state = self._require()
                self._order(state, key)

    def memory(self) -> int:
        """Bytes held by the columns, names and orders."""
        with self._lock:
            state = self._require()
            snapshot = state.snapshot
            return snapshot.table.nbytes() + snapshot.names.nbytes() + state.orders.nbytes()


def key_nullable(sort_key: str) -> bool:
    """Whether unscored photos (NULL values) follow the scored ones for this key."""
    return sort_key in NULLABLE_SORTS


def _ordered(
    order: SortedOrder, mask: np.ndarray, query: GalleryQuery, with_nulls: bool, limit: int | None
) -> np.ndarray:
    shown = mask[order.ids]
    ranked = order.ascending()[shown[: order.valid]]
    if query.descending:
        ranked = ranked[::-1]
    if with_nulls and (limit is None or len(ranked) < limit):
        nulls = order.nulls()[shown[order.valid :]]
        if nulls.size:
            ranked = np.concatenate([ranked, nulls])
    return np.ascontiguousarray(ranked[:limit])
