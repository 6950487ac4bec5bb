"""Bursts, sets and scenes of the generated shoot, and the guards of the grouping."""

from __future__ import annotations

import numpy as np
import pytest

from humanaes_desktop.engine.culling.columns import shoot_from_signals
from humanaes_desktop.engine.culling.grouping import (
    GroupingSettings,
    group_shoot,
    popcount,
)


@pytest.fixture(scope="module")
def grouped(generated_shoot, shoot_signals):
    paths = generated_shoot.all()
    shoot = shoot_from_signals(range(len(paths)), [shoot_signals[p] for p in paths])
    grouping = group_shoot(shoot)
    by_path = {}
    for number, rows in grouping.members().items():
        names = tuple(paths[r].name for r in rows)
        for r in rows:
            by_path[paths[r]] = (grouping.kinds[number], names)
    return by_path, grouping, shoot, paths


def _group_of(grouped, path):
    return grouped[0].get(path)


def test_each_burst_is_one_group_though_both_share_their_timestamps(grouped, generated_shoot):
    for frames in generated_shoot.bursts.values():
        kind, names = _group_of(grouped, frames[0])
        assert kind == "burst"
        assert names == tuple(p.name for p in frames)  # all 8, in capture order, nothing else


def test_a_bracket_is_a_set_kept_whole(grouped, generated_shoot):
    kind, names = _group_of(grouped, generated_shoot.bracket[0])
    assert kind == "bracket" and len(names) == 3


def test_frames_without_exif_group_by_counter_then_mtime(grouped, generated_shoot):
    kind, names = _group_of(grouped, generated_shoot.no_exif_counter[0])
    assert kind == "burst" and names == ("IMG_0101.jpg", "IMG_0102.jpg", "IMG_0103.jpg")
    kind, names = _group_of(grouped, generated_shoot.no_exif_mtime[0])
    assert kind == "burst" and names == ("cat-a.jpg", "cat-b.jpg", "cat-c.jpg")


def test_flat_frames_are_never_grouped(grouped, generated_shoot):
    for path in generated_shoot.flat:
        assert _group_of(grouped, path) is None, path.name


def test_a_drifting_chain_splits(grouped, generated_shoot):
    chain = generated_shoot.chain
    groups = {_group_of(grouped, p) for p in chain} - {None}
    assert len(groups) >= 3
    for _kind, names in groups:
        assert not ({chain[0].name, chain[-1].name} <= set(names))
        indices = [int(n[6:8]) for n in names]
        assert max(indices) - min(indices) < 25


def test_unrelated_photos_and_the_group_photo_stand_alone(grouped, generated_shoot):
    for path in [*generated_shoot.no_face, generated_shoot.group16]:
        assert _group_of(grouped, path) is None, path.name


def test_a_panorama_and_a_focus_stack_are_sets(grouped, generated_shoot):
    kind, names = _group_of(grouped, generated_shoot.panorama[0])
    assert kind == "panorama" and len(names) == 4
    kind, names = _group_of(grouped, generated_shoot.focus_stack[0])
    assert kind == "focus_stack" and len(names) == 4


def test_scenes_break_at_long_gaps(grouped):
    _, grouping, shoot, _ = grouped
    times = shoot.time[grouping.order]
    breaks = np.flatnonzero(np.diff(grouping.scene)) + 1
    assert all(times[b] - times[b - 1] > 600 for b in breaks)
    short = group_shoot(shoot, GroupingSettings(scene_gap_s=60))
    assert short.scene.max() > grouping.scene.max()


def test_embeddings_split_a_scene_where_neighbours_look_unalike(grouped):
    _, _, shoot, _ = grouped
    n = len(shoot)
    embedding = np.full((n, 4), np.nan, np.float32)
    embedding[:, 0] = 1.0  # all alike ...
    embedding[:, 1:] = 0.0
    order = np.argsort(shoot.time, kind="stable")
    embedding[order[n // 2 :]] = (0.0, 1.0, 0.0, 0.0)  # ... except that the second half differs
    shoot.embedding = embedding
    try:
        with_embeddings = group_shoot(shoot, GroupingSettings(scene_gap_s=1e9))
    finally:
        shoot.embedding = None
    assert with_embeddings.scene.max() == 1


def test_grouping_is_deterministic_and_ignores_input_order(grouped):
    _, grouping, shoot, paths = grouped
    rng = np.random.default_rng(7)
    shuffled = rng.permutation(len(shoot))
    arrays = {k: (v[shuffled] if isinstance(v, np.ndarray) else v) for k, v in vars(shoot).items()}
    again = group_shoot(type(shoot)(**arrays))
    first = {frozenset(shoot.ids[r]) for r in grouping.members().values()}
    second = {frozenset(arrays["ids"][r]) for r in again.members().values()}
    assert first == second


def test_popcount_without_numpy_2_counts_the_same():
    values = np.random.default_rng(3).integers(0, 2**63, 1000, dtype=np.uint64) * np.uint64(2)
    as_bytes = values.view(np.uint8).reshape(-1, 8)
    assert (np.unpackbits(as_bytes, axis=-1).sum(axis=-1) == popcount(values)).all()
