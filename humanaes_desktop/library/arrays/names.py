"""`NameIndex`: every file name, sorted, packed into one byte buffer.

It answers the two questions the gallery asks about names without a Python object per photo:
the ids in name order (the file-name sort), and the ids whose name contains a text (the search
box). Names are UTF-8 bytes in byte order, which is SQLite's BINARY collation, ties by id; each
is followed by a NUL byte, which no file name contains, so a match never spans two names.

The search follows SQLite's `LIKE` (what the SQL path runs): ASCII letters match either case,
every other byte matches itself. It is vectorised: the needle's rarest byte is looked up in the
whole buffer once, and the candidates are narrowed byte by byte.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

_SEPARATOR = b"\0"
_CACHED_SEARCHES = 8


def _is_letter(byte: int) -> bool:
    return 97 <= byte <= 122  # the needle is lowered first: a..z


def _equals(values: np.ndarray, byte: int) -> np.ndarray:
    if _is_letter(byte):
        return (values | 0x20) == byte  # upper and lower case of an ASCII letter
    return values == byte


class NameIndex:
    """File names of the library's photos; replace entries with `update`."""

    def __init__(self, names: Iterable[tuple[bytes, int]] = ()) -> None:
        """`names`: (UTF-8 name, image id) pairs, in any order."""
        pairs = sorted(names)
        self._ids = np.fromiter((i for _, i in pairs), dtype=np.int32, count=len(pairs))
        self._lengths = np.fromiter((len(n) + 1 for n, _ in pairs), np.int64, count=len(pairs))
        joined = b"".join(n + _SEPARATOR for n, _ in pairs)
        self._buffer = np.frombuffer(joined, dtype=np.uint8).copy()
        self._reindex()

    @classmethod
    def from_sorted(cls, blocks: Iterable[Sequence[tuple[str, int]]]) -> NameIndex:
        """From blocks of (name, id) rows already in byte order of the names (SQLite's ORDER BY
        file_name), ties in any order: no list of a million pairs is ever built."""
        parts, lengths, ids, hashes = [], [], [], []
        for rows in blocks:
            names, block_ids = zip(*rows, strict=True)
            encoded = [name.encode("utf-8") for name in names]
            parts += [_SEPARATOR.join(encoded), _SEPARATOR]
            lengths.append(np.fromiter(map(len, encoded), np.int64, len(encoded)) + 1)
            hashes.append(np.fromiter(map(hash, encoded), np.int64, len(encoded)))
            ids.append(np.array(block_ids, dtype=np.int32))
        index = cls()
        if parts:
            index._buffer = np.frombuffer(b"".join(parts), dtype=np.uint8).copy()
            index._lengths, index._ids = np.concatenate(lengths), np.concatenate(ids)
            index._reindex()
            index._sort_ties(np.concatenate(hashes))
        return index

    def _sort_ties(self, hashes: np.ndarray) -> None:
        """Equal names go by id (SQLite hands them out in its index's order)."""
        candidates = np.flatnonzero(hashes[1:] == hashes[:-1])  # rare: found by hash first
        runs: list[list[int]] = []  # [first, last] entries of runs of equal names
        for entry in candidates.tolist():
            if self.name(entry) == self.name(entry + 1):
                if runs and runs[-1][1] == entry:
                    runs[-1][1] = entry + 1
                else:
                    runs.append([entry, entry + 1])
        for first, last in runs:
            self._ids[first : last + 1] = np.sort(self._ids[first : last + 1])
        if runs:
            self._reindex()

    def _reindex(self) -> None:
        self._starts = np.zeros(len(self._lengths) + 1, dtype=np.int64)
        np.cumsum(self._lengths, out=self._starts[1:])
        largest = int(self._ids.max()) + 1 if len(self._ids) else 0
        self._entry_of = np.full(largest, -1, dtype=np.int32)  # id -> its entry
        self._entry_of[self._ids] = np.arange(len(self._ids), dtype=np.int32)
        self._searches: OrderedDict[str, np.ndarray] = OrderedDict()
        self._histogram: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def nbytes(self) -> int:
        """Memory held by the index."""
        arrays = (self._buffer, self._starts, self._ids, self._lengths, self._entry_of)
        return sum(array.nbytes for array in arrays)

    def ids_in_order(self) -> np.ndarray:
        """Every id, in name order (read only)."""
        return self._ids

    def name(self, entry: int) -> bytes:
        """The name of the `entry`-th name in order."""
        return self._buffer[self._starts[entry] : self._starts[entry + 1] - 1].tobytes()

    # -- search -----------------------------------------------------------------------------
    def containing(self, text: str) -> np.ndarray:
        """Ids whose name contains `text` (ASCII case ignored, like SQLite's LIKE), unsorted."""
        hit = self._searches.get(text)
        if hit is None:
            hit = self._search(text.encode("utf-8").lower())
            self._searches[text] = hit
            while len(self._searches) > _CACHED_SEARCHES:
                self._searches.popitem(last=False)
        else:
            self._searches.move_to_end(text)
        return hit

    def _search(self, needle: bytes) -> np.ndarray:
        if not needle:
            return self._ids
        if _SEPARATOR in needle or len(self._buffer) < len(needle):
            return np.empty(0, dtype=np.int32)
        first = self._rarest(needle)
        starts = np.flatnonzero(_equals(self._buffer, needle[first])) - first
        starts = starts[(starts >= 0) & (starts <= len(self._buffer) - len(needle))]
        for offset, byte in enumerate(needle):
            if offset != first and starts.size:
                starts = starts[_equals(self._buffer[starts + offset], byte)]
        entries = np.unique(np.searchsorted(self._starts, starts, side="right") - 1)
        return self._ids[entries]

    def _rarest(self, needle: bytes) -> int:
        """The needle's position whose byte is rarest in the buffer (fewest candidates)."""
        histogram = self._histogram
        if histogram is None:
            histogram = np.bincount(self._buffer, minlength=256)
            histogram[97:123] += histogram[65:91]  # letters count in both cases
            self._histogram = histogram
        return min(range(len(needle)), key=lambda i: histogram[needle[i]])

    # -- changes ----------------------------------------------------------------------------
    def name_of(self, image_id: int) -> bytes | None:
        """The name of one id, or None when it has none here."""
        entry = self._entry_of[image_id] if 0 <= image_id < len(self._entry_of) else -1
        return None if entry < 0 else self.name(int(entry))

    def apply(self, present: list[tuple[bytes, int]], gone: np.ndarray) -> bool:
        """Bring the names of these ids up to date: `present` (name, id) pairs of rows still
        there, `gone` ids deleted; returns whether any name changed."""
        renamed = [(name, i) for name, i in present if self.name_of(i) != name]
        named_gone = [int(i) for i in gone if self.name_of(int(i)) is not None]
        if not renamed and not named_gone:
            return False
        self.update(np.array([i for _, i in renamed] + named_gone, dtype=np.int64), renamed)
        return True

    def update(self, removed: np.ndarray, added: Iterable[tuple[bytes, int]]) -> None:
        """Drop the names of `removed` ids, then add (name, id) pairs (a rename is both)."""
        removed = np.asarray(removed, dtype=np.int64)
        added = sorted(added)
        if removed.size:
            self._drop(np.isin(self._ids, removed))
        if added:
            self._insert(added)
        self._reindex()

    def _drop(self, dropped: np.ndarray) -> None:
        if not dropped.any():
            return
        self._buffer = self._buffer[np.repeat(~dropped, self._lengths)]
        self._lengths = self._lengths[~dropped]
        self._ids = self._ids[~dropped]
        self._starts = np.zeros(len(self._lengths) + 1, dtype=np.int64)
        np.cumsum(self._lengths, out=self._starts[1:])

    def _insert(self, added: list[tuple[bytes, int]]) -> None:
        slots = np.array([self._slot(name, image_id) for name, image_id in added], np.int64)
        lengths = np.array([len(name) + 1 for name, _ in added], dtype=np.int64)
        joined = np.frombuffer(b"".join(n + _SEPARATOR for n, _ in added), dtype=np.uint8)
        self._buffer = np.insert(self._buffer, np.repeat(self._starts[slots], lengths), joined)
        self._lengths = np.insert(self._lengths, slots, lengths)
        self._ids = np.insert(self._ids, slots, [image_id for _, image_id in added])

    def _slot(self, name: bytes, image_id: int) -> int:
        """Where (name, id) goes among the current entries (binary search on bytes, then id)."""
        low, high = 0, len(self._ids)
        while low < high:
            middle = (low + high) // 2
            if (self.name(middle), int(self._ids[middle])) < (name, image_id):
                low = middle + 1
            else:
                high = middle
        return low
