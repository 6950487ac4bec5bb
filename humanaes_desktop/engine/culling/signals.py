"""The first pass: every cheap signal of one photo from one decode, in one frozen record.

`SIGNALS_VERSION` (in the package's __init__) changes whenever a measure changes meaning (a new working size, a new
threshold); stored rows of another version, or of another face backend, are recomputed.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import cv2

from humanaes_desktop.engine.culling import SIGNALS_VERSION
from humanaes_desktop.engine.culling.capture import CaptureInfo, read_capture
from humanaes_desktop.engine.culling.exposure import Exposure, measure_exposure
from humanaes_desktop.engine.culling.faces import Face, FaceBackend, prominent_faces
from humanaes_desktop.engine.culling.hashes import Hashes, compute_hashes
from humanaes_desktop.engine.culling.sharpness import (
    Sharpness,
    laplacian,
    measure_sharpness,
    region_sharpness,
)
from humanaes_desktop.engine.culling.working_image import (
    WORKING_LONG_SIDE,
    WorkingImage,
    load_working_image,
)

# Badge thresholds (absolute; within a group culling judges relative to the other frames).
SOFT_PEAK = 40.0  # the sharpest tile's Laplacian variance below this: nothing in the frame is sharp
CLIPPED_HIGHLIGHTS = 0.05  # blown luma over this fraction of the frame
CLIPPED_SHADOWS = 0.25  # crushed luma over this fraction
FLAT = 0.5  # hash flatness below this: a black, white or cloudless-sky frame (photos: 1-6)


@dataclass(frozen=True)
class FaceSignals:
    """A face as stored: its box normalised to the frame (0..1) and its sharpness."""

    x: float
    y: float
    w: float
    h: float
    prominent: bool
    eyes: str  # "open", "closed", "unknown"
    eyes_seen: int
    iris_darkness: float
    sharpness: float  # Laplacian variance inside the face box
    eye_sharpness: float | None  # inside the eye boxes (or regions), prominent faces only


@dataclass(frozen=True)
class PhotoSignals:
    """Everything the first pass knows about one photo."""

    version: int
    face_backend: str
    working_size: tuple[int, int]
    full_size: tuple[int, int]
    sharpness: Sharpness
    exposure: Exposure
    faces: tuple[FaceSignals, ...]
    hashes: Hashes
    capture: CaptureInfo
    seconds: float  # CPU time of the first pass on its thread (decode included)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def face_sharpness(self) -> float | None:
        """The worst prominent face's sharpness (a group shot is as sharp as its softest face)."""
        values = [f.sharpness for f in self.faces if f.prominent]
        return min(values) if values else None

    @property
    def eye_sharpness(self) -> float | None:
        values = [f.eye_sharpness for f in self.faces if f.prominent and f.eye_sharpness]
        return min(values) if values else None

    @property
    def eyes_closed(self) -> bool:
        """Any prominent face with closed eyes."""
        return any(f.prominent and f.eyes == "closed" for f in self.faces)

    @property
    def soft(self) -> bool:
        return self.sharpness.peak < SOFT_PEAK

    @property
    def clipped(self) -> bool:
        e = self.exposure
        return e.highlights_clipped > CLIPPED_HIGHLIGHTS or e.shadows_clipped > CLIPPED_SHADOWS

    @property
    def flat(self) -> bool:
        return self.hashes.flatness < FLAT

    def badges(self) -> tuple[str, ...]:
        """Short words a thumbnail shows: "soft", "eyes closed", "clipped", "N faces"."""
        out = []
        if self.soft:
            out.append("soft")
        if self.eyes_closed:
            out.append("eyes closed")
        if self.clipped:
            out.append("clipped")
        if self.faces:
            out.append(f"{len(self.faces)} face{'s' if len(self.faces) > 1 else ''}")
        return tuple(out)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON types throughout (hashes as hex strings)."""
        data = asdict(self)
        data["hashes"]["phash"] = f"{self.hashes.phash:016x}"
        data["hashes"]["dhash"] = f"{self.hashes.dhash:016x}"
        data["hashes"]["profile"] = self.hashes.profile.hex()
        return data


def _face_signals(lap, face: Face, width: int, height: int) -> FaceSignals:
    x, y, w, h = face.box
    inner = (x + w // 10, y + h // 10, w - w // 5, h - h // 5)  # the face, not its outline
    eye_sharpness = None
    if face.prominent and face.eye_boxes:
        eye_sharpness = min(region_sharpness(lap, box) for box in face.eye_boxes)
    return FaceSignals(
        x=x / width,
        y=y / height,
        w=w / width,
        h=h / height,
        prominent=face.prominent,
        eyes=face.eyes,
        eyes_seen=face.eyes_seen,
        iris_darkness=face.iris_darkness,
        sharpness=region_sharpness(lap, inner),
        eye_sharpness=eye_sharpness,
    )


def signals_of_image(
    path: str | os.PathLike[str], image: WorkingImage, backend: FaceBackend
) -> PhotoSignals:
    """The signals of an already decoded working image."""
    start = time.thread_time()
    gray = cv2.cvtColor(image.rgb, cv2.COLOR_RGB2GRAY)
    lap = laplacian(gray)
    height, width = gray.shape
    faces = tuple(_face_signals(lap, f, width, height) for f in backend.detect(gray))
    return PhotoSignals(
        version=SIGNALS_VERSION,
        face_backend=backend.key,
        working_size=(width, height),
        full_size=image.full_size,
        sharpness=measure_sharpness(lap),
        exposure=measure_exposure(image.rgb, gray),
        faces=faces,
        hashes=compute_hashes(gray),
        capture=read_capture(path, image.exif, image.xmp, image.raw_datetime, image.raw_offset),
        seconds=time.thread_time() - start,
    )


def first_pass(path: str | os.PathLike[str], backend: FaceBackend) -> PhotoSignals:
    """Decode a photo once at the working size and compute all its signals (ImageLoadError
    for a file that cannot be decoded)."""
    start = time.thread_time()
    image = load_working_image(path, WORKING_LONG_SIDE)
    signals = signals_of_image(path, image, backend)
    return replace(signals, seconds=time.thread_time() - start)


__all__ = ["PhotoSignals", "FaceSignals", "SIGNALS_VERSION", "first_pass", "prominent_faces"]
