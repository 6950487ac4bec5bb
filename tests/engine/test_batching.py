"""Several photos per vision forward (the GPU switch) gives the one-at-a-time results, on CPU."""

from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from humanaes_desktop.engine.model.batching import assess_batch, tile_groups
from tests.support.photos import sample_photos

PROFILE = PreprocessProfile(max_tiles=4)


@pytest.fixture(scope="module")
def engine(tiny_model_dir, tmp_path_factory) -> HumanAesExpert:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUMANAES_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        return HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1)


@pytest.fixture(scope="module")
def photos() -> list[torch.Tensor]:
    # 1 to 5 tiles each: the batch mixes photo shapes, as an archive does.
    return [load_pixels(p, PROFILE) for p in sample_photos()]


def scores(assessment) -> list[float]:
    return [assessment.overall, assessment.fast_score, *assessment.dimensions.values()]


def test_batched_results_equal_one_at_a_time(engine, photos):
    assert len({int(p.shape[0]) for p in photos}) > 1
    alone = [engine.assess(p, profile=PROFILE) for p in photos]
    batched = assess_batch(engine, photos, profile=PROFILE, max_tiles=12)
    assert len(batched) == len(photos)
    for one, many in zip(alone, batched, strict=True):
        assert scores(many) == pytest.approx(scores(one), abs=1e-5)
        assert many.level == one.level and many.tiles == one.tiles
        assert many.timings["vision_batch_photos"] >= 1
    # The last photo's assess() found its features ready: the encoder did not run inside it.
    assert engine.reuse_stats.vision_computed == 0


def test_tiles_are_grouped_up_to_the_limit():
    assert tile_groups([5, 5, 1, 13, 2], max_tiles=12) == [[0, 1, 2], [3], [4]]
    assert tile_groups([], max_tiles=12) == []
    assert tile_groups([1, 1, 1], max_tiles=1) == [[0], [1], [2]]


def test_a_failed_batched_forward_falls_back_to_one_at_a_time(engine, photos, caplog):
    original = engine.model.extract_feature
    biggest = max(int(p.shape[0]) for p in photos)

    def out_of_memory_on_batches(pixel_values):
        if pixel_values.shape[0] > biggest:
            raise RuntimeError("CUDA out of memory (simulated)")
        return original(pixel_values)

    alone = [engine.assess(p, profile=PROFILE) for p in photos]
    engine.model.extract_feature = out_of_memory_on_batches
    try:
        with caplog.at_level(logging.WARNING):
            batched = assess_batch(engine, photos, profile=PROFILE, max_tiles=64)
    finally:
        del engine.model.extract_feature
    assert "one at a time" in caplog.text
    for one, many in zip(alone, batched, strict=True):
        assert scores(many) == pytest.approx(scores(one), abs=1e-6)
        assert "vision_batch_photos" not in many.timings


def test_a_photo_that_fails_does_not_fail_the_batch(engine, photos):
    broken = torch.zeros(2, 3, 64, 64)  # wrong tile size: the model refuses it
    results = assess_batch(engine, [photos[0], broken, photos[1]], profile=PROFILE)
    assert isinstance(results[1], Exception)
    assert not isinstance(results[0], Exception) and not isinstance(results[2], Exception)


def test_the_vision_self_check_rides_on_the_batched_forward(
    tiny_model_dir, photos, tmp_path, monkeypatch, caplog
):
    """Batched features are computed before assess(), so the attention swap's vision check
    must run on that forward: a wrong kernel is switched off before any score uses it."""
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    plain = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1, attention=False)
    expected = [plain.assess(p, profile=PROFILE) for p in photos[:2]]
    real = F.scaled_dot_product_attention

    def neighbouring_heads_values(query, key, value, *args, **kwargs):
        return real(query, key, value.roll(1, dims=1), *args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", neighbouring_heads_values)
    fresh = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1)
    assert fresh.speedups.swap.parts["vision"].backend == "sdpa"
    with caplog.at_level(logging.WARNING):
        batched = assess_batch(fresh, photos[:2], profile=PROFILE)
    assert fresh.speedups.swap.parts["vision"].backend == "eager"
    assert any(r.getMessage().startswith("vision attention") for r in caplog.records)
    for one, many in zip(expected, batched, strict=True):
        assert many.timings["vision_batch_photos"] == 2
        assert scores(many) == pytest.approx(scores(one), abs=1e-5)
