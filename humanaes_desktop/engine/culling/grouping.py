"""Grouping a shoot: bursts, sets to keep whole (brackets, focus stacks, panoramas) and scenes.

One pass over the photos in capture-time order. Candidate links between a photo and each of the
WINDOW photos before it are found with vectorised numpy (time gap, same camera and orientation,
close pHash and dHash, neither frame flat); a short Python loop then walks only the photos that
have a candidate and joins each to a group unless that would stretch the group past its maximum
span or put the photo too far from the group's medoid, the two guards against chaining a slow
pan or a drifting scene into one endless "burst". 100,000 photos take well under a second
(benchmarks/bench_culling.py).

Sets are recognised before bursts, from what the camera recorded and how the frames relate:
  bracket      3+ frames a short gap apart whose ExposureBiasValue never repeats, spanning >= 1 EV
  focus stack  a burst at one exposure whose sharpest tile moves across the frame
  panorama     3+ frames at one locked exposure, each shifted sideways from the previous one
Sets are "keep whole": culling never suggests dropping a member.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WINDOW = 32  # each photo is compared with this many photos before it
PHASH_MAX = 10  # bits: a burst frame's pHash differs from its neighbour's by at most this
DHASH_MAX = 14
MEDOID_MAX = 12  # bits from the group's medoid
MEDOID_FRAMES = 16  # the medoid is taken over a burst's first frames only (cost stays flat)
MAX_SPAN_S = 30.0  # a burst longer than this is a sequence, not a burst
POPCOUNT_BAND = (8, 56)  # a hash with fewer or more set bits comes from a (near) flat frame
BRACKET_MIN_FRAMES = 3
BRACKET_MIN_SPAN_EV = 1.0
FOCUS_STACK_MIN_SPREAD = 0.3  # the sharpest tile moves at least this far (fraction of the frame)
PANORAMA_MIN_FRAMES = 3
PANORAMA_GAP_S = 5.0
PANORAMA_SHIFTS = (8, 52)  # of 64 columns: 12-81 % of the frame between frames
PANORAMA_MIN_CORRELATION = 0.9  # of the overlapping column profiles
SCENE_GAP_S = 600.0
SCENE_MIN_COSINE = 0.75  # neighbours whose image embeddings are less alike start a new scene

KINDS = ("burst", "bracket", "focus_stack", "panorama")
KEEP_WHOLE = frozenset({"bracket", "focus_stack", "panorama"})


@dataclass
class Shoot:
    """Column arrays of the photos to group (any order; grouping sorts them)."""

    ids: np.ndarray  # int64
    time: np.ndarray  # float64 POSIX seconds
    counter: np.ndarray  # int64, -1 when unknown (orders frames of one second)
    phash: np.ndarray  # uint64
    dhash: np.ndarray  # uint64
    flat: np.ndarray  # bool
    camera: np.ndarray  # int64 code, same code = same body; -1 unknown
    landscape: np.ndarray  # bool
    exposure_bias: np.ndarray  # float64, NaN when absent
    exposure_key: np.ndarray  # int64 code of exposure time/f-number/ISO/focal length; -1 absent
    peak_xy: np.ndarray  # float64 (n, 2): where the sharpest tile is
    burst_id: np.ndarray  # int64 code of a camera-written burst id; -1 absent
    profile: np.ndarray | None = None  # uint8 (n, 64): column means, for panoramas
    embedding: np.ndarray | None = None  # float32 (n, d) L2-normalised, NaN rows when absent

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class GroupingSettings:
    burst_gap_s: float = 2.0
    scene_gap_s: float = SCENE_GAP_S
    scene_min_cosine: float = SCENE_MIN_COSINE


@dataclass
class Grouping:
    """The result, as arrays aligned with the *time-sorted* order (`order` maps to input rows)."""

    order: np.ndarray  # input row of each sorted position
    group: np.ndarray  # group number per sorted position, -1 = not in a group
    kinds: dict[int, str] = field(default_factory=dict)  # group number -> kind
    scene: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def members(self) -> dict[int, np.ndarray]:
        """Group number -> input rows of its members, in capture order."""
        return {g: self.order[rows] for g, rows in _rows_by_group(self.group).items()}


class Codes:
    """Small integer codes for strings (camera bodies, exposure settings, burst ids)."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        if value is None:
            return -1
        return self._codes.setdefault(value, len(self._codes))


def popcount(values: np.ndarray) -> np.ndarray:
    """Set bits per uint64 (numpy >= 2 has bitwise_count; older numpy counts bytes)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values).astype(np.int64)
    as_bytes = values.view(np.uint8).reshape(*values.shape, 8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1).astype(np.int64)


def capture_order(shoot: Shoot) -> np.ndarray:
    """Rows sorted by capture time, the shot counter breaking ties inside a second."""
    return np.lexsort((shoot.ids, shoot.counter, shoot.time))


def group_shoot(shoot: Shoot, settings: GroupingSettings | None = None) -> Grouping:
    """Bursts, sets and scenes of a shoot."""
    settings = settings or GroupingSettings()
    order = capture_order(shoot)
    s = _sorted(shoot, order)
    group = np.full(len(order), -1, np.int64)
    kinds: dict[int, str] = {}
    _mark_brackets(s, settings, group, kinds)
    _join_bursts(s, settings, group, kinds)
    _mark_focus_stacks(s, group, kinds)
    _mark_panoramas(s, group, kinds)
    return Grouping(order, group, kinds, _scenes(s, settings))


def _sorted(shoot: Shoot, order: np.ndarray) -> Shoot:
    arrays = {
        name: (value[order] if isinstance(value, np.ndarray) else value)
        for name, value in vars(shoot).items()
    }
    return Shoot(**arrays)


def _new_group(group: np.ndarray, kinds: dict[int, str], rows, kind: str) -> None:
    number = len(kinds)
    kinds[number] = kind
    group[rows] = number


def _mark_brackets(s: Shoot, settings: GroupingSettings, group, kinds) -> None:
    n = len(s)
    if n < BRACKET_MIN_FRAMES:
        return
    # Only where the next frame, a short gap later, has another exposure bias can one start.
    bias = s.exposure_bias
    starts = np.flatnonzero(
        ~np.isnan(bias[:-1])
        & ~np.isnan(bias[1:])
        & (bias[1:] != bias[:-1])
        & (np.diff(s.time) <= settings.burst_gap_s)
    )
    taken_until = -1
    for i in starts:
        if i <= taken_until:
            continue
        run, seen = [int(i)], {float(bias[i])}
        j = i + 1
        while j < n and s.time[j] - s.time[run[-1]] <= settings.burst_gap_s:
            if np.isnan(bias[j]) or float(bias[j]) in seen or s.camera[j] != s.camera[i]:
                break
            run.append(int(j))
            seen.add(float(bias[j]))
            j += 1
        if len(run) >= BRACKET_MIN_FRAMES and max(seen) - min(seen) >= BRACKET_MIN_SPAN_EV:
            _new_group(group, kinds, run, "bracket")
            taken_until = run[-1]


def _candidate_links(s: Shoot, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """(WINDOW, n) bool: photo i may join photo i - 1 - k; and the pHash distances."""
    n = len(s)
    usable = ~s.flat
    for values in (s.phash, s.dhash):
        bits = popcount(values)
        usable &= (bits >= POPCOUNT_BAND[0]) & (bits <= POPCOUNT_BAND[1])
    links = np.zeros((WINDOW, n), bool)
    distance = np.full((WINDOW, n), 64, np.int64)
    for k in range(1, min(WINDOW, n - 1) + 1):
        a, b = slice(k, n), slice(0, n - k)
        near = popcount(s.phash[a] ^ s.phash[b])
        close = (
            (s.time[a] - s.time[b] <= gap)
            & (s.camera[a] == s.camera[b])
            & (s.landscape[a] == s.landscape[b])
            & usable[a]
            & usable[b]
            & (near <= PHASH_MAX)
            & (popcount(s.dhash[a] ^ s.dhash[b]) <= DHASH_MAX)
        )
        same_burst = (s.burst_id[a] >= 0) & (s.burst_id[a] == s.burst_id[b])
        links[k - 1, k:] = close | same_burst
        distance[k - 1, k:] = near
    return links, distance


class _Burst:
    """A growing burst: its members (sorted positions), start time and medoid hash.

    The medoid is kept with running sums of distances (Python ints: popcount of a 64-bit int
    is one call), so adding a frame costs one distance per member, not a matrix."""

    def __init__(self, first: int, start: float, phash: int) -> None:
        self.members = [first]
        self.start = start
        self.medoid = phash
        self.hashes = [phash]
        self.sums = [0]

    def add(self, position: int, phash: int) -> None:
        self.members.append(position)
        if len(self.hashes) >= MEDOID_FRAMES:  # the medoid hardly moves after that many
            return
        distances = [(phash ^ other).bit_count() for other in self.hashes]
        self.sums = [total + d for total, d in zip(self.sums, distances, strict=True)]
        self.hashes.append(phash)
        self.sums.append(sum(distances))
        self.medoid = self.hashes[min(range(len(self.sums)), key=self.sums.__getitem__)]


def _linked_predecessors(s: Shoot, settings: GroupingSettings, group) -> list[tuple[int, list]]:
    """(photo, its linked predecessors closest hash first) for each photo with any link,
    in capture order; found for all photos at once (numpy), not photo by photo."""
    links, distance = _candidate_links(s, settings.burst_gap_s)
    lag_index, photo = np.nonzero(links)
    predecessor = photo - lag_index - 1
    keep = (group[photo] < 0) & (group[predecessor] < 0)  # set members stay in their set
    lag_index, photo, predecessor = lag_index[keep], photo[keep], predecessor[keep]
    order = np.lexsort((lag_index, distance[lag_index, photo], photo))
    photo, predecessor = photo[order].tolist(), predecessor[order].tolist()
    out: list[tuple[int, list]] = []
    for i, j in zip(photo, predecessor, strict=True):
        if out and out[-1][0] == i:
            out[-1][1].append(j)
        else:
            out.append((i, [j]))
    return out


def _join_bursts(s: Shoot, settings: GroupingSettings, group, kinds) -> None:
    times = s.time.tolist()
    phashes = [int(v) for v in s.phash.tolist()]
    bursts: dict[int, _Burst] = {}  # sorted position of a burst's first frame -> burst
    owner: dict[int, int] = {}  # sorted position -> first frame of its burst
    for i, candidates in _linked_predecessors(s, settings, group):
        target = _best_burst(i, candidates, times, phashes, owner, bursts)
        if target is None:
            continue
        if target not in bursts:
            bursts[target] = _Burst(target, times[target], phashes[target])
            owner[target] = target
        bursts[target].add(i, phashes[i])
        owner[i] = target
    for burst in bursts.values():
        if len(burst.members) >= 2:
            _new_group(group, kinds, burst.members, "burst")


def _best_burst(i, candidates, times, phashes, owner, bursts) -> int | None:
    """The burst photo i joins (by its closest linked predecessor), if the guards allow."""
    for j in candidates:
        first = owner.get(j, j)
        burst = bursts.get(first)
        start = burst.start if burst else times[first]
        medoid = burst.medoid if burst else phashes[first]
        if times[i] - start > MAX_SPAN_S or (phashes[i] ^ medoid).bit_count() > MEDOID_MAX:
            continue
        return first
    return None


def _rows_by_group(group: np.ndarray) -> dict[int, np.ndarray]:
    """Group number -> its sorted positions (one sort, not one scan per group)."""
    positions = np.flatnonzero(group >= 0)
    if not len(positions):
        return {}
    numbers = group[positions]
    order = np.argsort(numbers, kind="stable")
    numbers, positions = numbers[order], positions[order]
    cuts = np.flatnonzero(np.diff(numbers)) + 1
    return {
        int(chunk_numbers[0]): chunk
        for chunk, chunk_numbers in zip(
            np.split(positions, cuts), np.split(numbers, cuts), strict=True
        )
    }


def _mark_focus_stacks(s: Shoot, group, kinds) -> None:
    """A burst at one exposure whose sharpest tile walks steadily across the frame, a new
    place every frame (a burst's sharpest tile hops about its subject instead)."""
    by_group = _rows_by_group(group)
    if not by_group:
        return
    numbers = np.fromiter(by_group, np.int64, len(by_group))
    starts = np.cumsum([0] + [len(by_group[g]) for g in numbers[:-1].tolist()])
    rows = np.concatenate([by_group[g] for g in numbers.tolist()])
    sizes = np.diff(np.append(starts, len(rows)))
    keys, peaks = s.exposure_key[rows], s.peak_xy[rows]
    # Cheap tests for every group at once; the exact walk only for the few that pass them.
    one_exposure = (np.minimum.reduceat(keys, starts) == np.maximum.reduceat(keys, starts)) & (
        keys[starts] >= 0
    )
    spread = np.linalg.norm(
        np.maximum.reduceat(peaks, starts) - np.minimum.reduceat(peaks, starts), axis=1
    )
    maybe = (sizes >= 3) & one_exposure & (spread >= FOCUS_STACK_MIN_SPREAD)
    for number in numbers[maybe].tolist():
        if kinds[number] != "burst":
            continue
        walk = s.peak_xy[by_group[number]]
        direction = walk[-1] - walk[0]
        length = float(np.linalg.norm(direction))
        if length >= FOCUS_STACK_MIN_SPREAD and (np.diff(walk @ (direction / length)) > 0.02).all():
            kinds[number] = "focus_stack"


def _correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1)) + 1e-6
    return (x * y).sum(axis=1) / norm


def profile_shifts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row pair, how many columns (of 64) b's content sits left (+) or right (-) of a's,
    0 where no sideways pan explains the overlap better than no shift (vectorised over rows)."""
    still = _correlation(a, b)
    best = np.maximum(PANORAMA_MIN_CORRELATION, still + 0.1)
    shifts = np.zeros(len(a), np.int64)
    for shift in range(PANORAMA_SHIFTS[0], PANORAMA_SHIFTS[1] + 1):
        for sign, (x, y) in (
            (1, (a[:, shift:], b[:, :-shift])),
            (-1, (a[:, :-shift], b[:, shift:])),
        ):
            score = _correlation(x, y)
            better = score > best
            best[better], shifts[better] = score[better], sign * shift
    return shifts


def _mark_panoramas(s: Shoot, group, kinds) -> None:
    n = len(s)
    if s.profile is None or n < PANORAMA_MIN_FRAMES:
        return
    a, b = np.arange(n - 1), np.arange(1, n)
    pairs = (
        (group[a] < 0)
        & (group[b] < 0)
        & (s.exposure_key[a] >= 0)
        & (s.exposure_key[a] == s.exposure_key[b])
        & (s.camera[a] == s.camera[b])
        & (s.time[b] - s.time[a] <= PANORAMA_GAP_S)
    )
    step = np.zeros(n - 1, np.int64)  # sign of the pan from photo i to i + 1, 0 = none
    where = np.flatnonzero(pairs)
    if len(where):
        profiles = s.profile.astype(np.float32)
        step[where] = np.sign(profile_shifts(profiles[where], profiles[where + 1]))
    i = 0
    while i < n - 1:
        j = i
        while j < n - 1 and step[j] != 0 and step[j] == step[i]:
            j += 1
        if j - i + 1 >= PANORAMA_MIN_FRAMES:
            _new_group(group, kinds, list(range(i, j + 1)), "panorama")
        i = max(j, i + 1)


def _scenes(s: Shoot, settings: GroupingSettings) -> np.ndarray:
    """Scene number per sorted position: a new scene after a long gap, or (where both photos
    have image embeddings from scoring) when neighbours look unalike."""
    n = len(s)
    if n == 0:
        return np.zeros(0, np.int64)
    breaks = np.zeros(n, bool)
    breaks[1:] = np.diff(s.time) > settings.scene_gap_s
    if s.embedding is not None and n > 1:
        cosine = np.einsum("ij,ij->i", s.embedding[1:], s.embedding[:-1])
        known = ~np.isnan(cosine)
        breaks[1:] |= known & (np.nan_to_num(cosine, nan=1.0) < settings.scene_min_cosine)
    return np.cumsum(breaks).astype(np.int64)
