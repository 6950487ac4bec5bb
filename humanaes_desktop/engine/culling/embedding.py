"""A compact image embedding (<= 512 bytes) from the vision features scoring already computes.

The vision encoder's output tokens (after the projector) are mean-pooled over tiles and tokens,
L2-normalised, and projected to EMBEDDING_DIM dimensions by a fixed random Gaussian matrix
(seeded by the input width, so every photo scored by one model lands in the same space;
random projections keep cosine similarities to within a few hundredths at this size), then
stored as float16: 256 x 2 = 512 bytes. No extra vision pass: the features are the ones the
assessment used. Scenes compare neighbours' embeddings (engine/culling/grouping.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

EMBEDDING_DIM = 256
EMBEDDING_BYTES = 2 * EMBEDDING_DIM


@lru_cache(maxsize=4)
def _projection(width: int) -> np.ndarray:
    rng = np.random.default_rng(20240518 + width)
    return (rng.standard_normal((width, EMBEDDING_DIM)) / np.sqrt(EMBEDDING_DIM)).astype(np.float32)


def compact_embedding(pooled: np.ndarray) -> bytes:
    """512 bytes from a pooled feature vector of any width."""
    vector = np.asarray(pooled, np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("cannot embed a zero or non-finite feature vector")
    projected = (vector / norm) @ _projection(vector.shape[0])
    projected /= np.linalg.norm(projected) or 1.0
    return projected.astype(np.float16).tobytes()


def embedding_vector(blob: bytes) -> np.ndarray:
    """The unit float32 vector of a stored embedding."""
    vector = np.frombuffer(blob, np.float16).astype(np.float32)
    return vector / (np.linalg.norm(vector) or 1.0)
