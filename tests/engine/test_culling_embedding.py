"""The culling hook in the assessment: a compact embedding of the vision features scoring
already computed (no extra vision pass), 512 bytes, alike for alike photos."""

from __future__ import annotations

import numpy as np
import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.culling.embedding import (
    EMBEDDING_BYTES,
    compact_embedding,
    embedding_vector,
)
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from humanaes_desktop.engine.model.batching import assess_batch

PROFILE = PreprocessProfile(max_tiles=1)


@pytest.fixture(scope="module")
def engine(tiny_model_dir, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("HUMANAES_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    return HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_an_assessment_carries_a_512_byte_embedding_without_another_vision_pass(
    engine, sample_photos_dir
):
    pixels = load_pixels(sample_photos_dir / "astronaut.png", PROFILE)
    assessment = engine.assess(pixels, profile=PROFILE)
    assert assessment.embedding is not None and len(assessment.embedding) == EMBEDDING_BYTES
    assert engine.reuse_stats.vision_computed == 1
    again = engine.assess(pixels, profile=PROFILE)
    assert again.embedding == assessment.embedding


def test_batched_scoring_gives_each_photo_its_own_embedding(engine, sample_photos_dir):
    # The vision features come from one forward over several photos' tiles (assess_batch):
    # each photo's embedding must still be its own, as scoring it alone gives.
    photos = [load_pixels(sample_photos_dir / n, PROFILE) for n in ("coffee.png", "rocket.jpg")]
    alone = [embedding_vector(engine.assess(p, profile=PROFILE).embedding) for p in photos]
    batched = assess_batch(engine, photos, profile=PROFILE, max_tiles=12)
    assert engine.reuse_stats.vision_computed == 0  # the batch's features were used
    together = [embedding_vector(a.embedding) for a in batched]
    for one, many in zip(alone, together, strict=True):
        assert float(one @ many) > 0.999
    assert float(together[0] @ together[1]) < 0.99


def test_embeddings_of_alike_photos_are_closer_than_of_unlike_ones(engine, sample_photos_dir):
    def vector(name, flip=False):
        pixels = load_pixels(sample_photos_dir / name, PROFILE)
        if flip:
            pixels = pixels + 0.02  # a slightly brighter copy of the same photo
        return embedding_vector(engine.assess(pixels, profile=PROFILE).embedding)

    same = float(vector("coffee.png") @ vector("coffee.png", flip=True))
    other = float(vector("coffee.png") @ vector("rocket.jpg"))
    assert same > other


def test_the_projection_keeps_cosines():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(896)
    b = a + 0.5 * rng.standard_normal(896)
    true = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    kept = embedding_vector(compact_embedding(a)) @ embedding_vector(compact_embedding(b))
    assert abs(true - kept) < 0.1
    with pytest.raises(ValueError):
        compact_embedding(np.zeros(16))
