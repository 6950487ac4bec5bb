"""From first-pass signals to the inputs of grouping (`Shoot`) and best-of (`Candidate`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from humanaes_desktop.engine.culling.best import Candidate, FaceView
from humanaes_desktop.engine.culling.grouping import Codes, Shoot
from humanaes_desktop.engine.culling.signals import FaceSignals, PhotoSignals


def face_views(faces: Sequence[FaceSignals]) -> tuple[FaceView, ...]:
    return tuple(
        FaceView(
            f.x + f.w / 2, f.y + f.h / 2, f.w, f.prominent, f.eyes, f.eyes_seen, f.iris_darkness
        )
        for f in faces
    )


def shoot_from_signals(ids: Sequence[int], signals: Sequence[PhotoSignals]) -> Shoot:
    """Grouping input for photos whose signals are in memory (tests, the CLI on files)."""
    cameras, exposures, bursts = Codes(), Codes(), Codes()
    return Shoot(
        ids=np.asarray(ids, np.int64),
        time=np.asarray([s.capture.time for s in signals], np.float64),
        counter=np.asarray(
            [s.capture.counter if s.capture.counter is not None else -1 for s in signals], np.int64
        ),
        phash=np.asarray([s.hashes.phash for s in signals], np.uint64),
        dhash=np.asarray([s.hashes.dhash for s in signals], np.uint64),
        flat=np.asarray([s.flat for s in signals], bool),
        camera=np.asarray([cameras(s.capture.camera) for s in signals], np.int64),
        landscape=np.asarray([s.full_size[0] >= s.full_size[1] for s in signals], bool),
        exposure_bias=np.asarray(
            [
                np.nan if s.capture.exposure_bias is None else s.capture.exposure_bias
                for s in signals
            ],
            np.float64,
        ),
        exposure_key=np.asarray([exposures(s.capture.exposure_key) for s in signals], np.int64),
        peak_xy=np.asarray(
            [(s.sharpness.peak_x, s.sharpness.peak_y) for s in signals], np.float64
        ).reshape(-1, 2),
        burst_id=np.asarray([bursts(s.capture.burst_id) for s in signals], np.int64),
        profile=np.asarray(
            [np.frombuffer(s.hashes.profile, np.uint8) for s in signals], np.uint8
        ).reshape(len(signals), -1),
    )


def candidate(image_id: int, s: PhotoSignals, aesthetic: float | None = None) -> Candidate:
    """Best-of input for one photo."""
    return Candidate(
        image_id=image_id,
        peak=s.sharpness.peak,
        global_=s.sharpness.global_,
        face=s.face_sharpness,
        eyes=s.eye_sharpness,
        faces=face_views(s.faces),
        highlights=s.exposure.highlights_clipped,
        shadows=s.exposure.shadows_clipped,
        mean_luma=s.exposure.mean,
        aesthetic=aesthetic,
    )
