"""Faces and eye state, through a pluggable backend; OpenCV's bundled Haar cascades by default.

Why Haar: it is the only detector that works offline on every desktop OS with numpy 2 and
ships its models inside the wheel (opencv-python-headless 4.x; OpenCV 5 dropped the cascades,
hence the pin below 5). Landmark models that would give an eye-aspect ratio need either numpy<2
(mediapipe 0.10.21, the last wheel with bundled models) or a downloaded model file, so they are
not the baseline; a backend for one plugs in through `FaceBackend`.

Eye state is decided per *prominent* face (at least PROMINENT_AREA of the largest face's area;
a small face in the background must not veto a portrait). An eye counts as seen when either of
OpenCV's eye cascades finds it in the face's eye band; "closed" needs no eye seen *and* no dark
iris-sized blob in the eye regions (so that a missed detection alone never says "closed").
Limits, measured on the sample portraits and generated closed-eye variants
(tests/engine/test_culling_faces.py): glasses with dark frames hide the blob test (a blink
behind them reads as "unknown", and only the group-relative test in culling can catch it), half
-closed eyes read as open, and faces under ~48 px wide in the working image are not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

PROMINENT_AREA = 0.25
DETECT_LONG_SIDE = 420  # faces are searched at 0.42x the working size: ~6x fewer windows
MIN_FACE_DETECT = 20  # px at the detection size (48 px in the working image)
# 3 neighbours: all 16 faces of the generated group photo, no false face on the no-face photos
# (5 found 12 of 16).
FACE_NEIGHBOURS = 3
RELATIVE_STRENGTH = 0.35  # a face needs this share of the strongest face's neighbour count
MIN_FACE_FOR_EYES = 48  # px in the working image; smaller faces get eye state "unknown"
EYE_SEARCH_FACE_WIDTH = 128  # px: the face width the eye cascades see
# Iris-blob contrast, (median - darkest iris-sized blob) / median, of the darker eye: open eyes
# of the sample portraits measure 0.35-0.57, painted-over (closed) ones 0.14-0.20 without glasses.
IRIS_DARKNESS_CLOSED = 0.30  # below, with no eye seen: closed
IRIS_DARKNESS_SURELY_CLOSED = 0.22  # below, with at most one (false) eye seen: closed

Box = tuple[int, int, int, int]  # x, y, width, height in working-image pixels


@dataclass(frozen=True)
class Face:
    """One detected face in the working image."""

    box: Box
    prominent: bool
    eyes: str = "unknown"  # "open", "closed" or "unknown"
    eyes_seen: int = 0  # eyes the cascades found (0..2)
    iris_darkness: float = 0.0  # the darker eye's blob contrast, 0..1
    eye_boxes: tuple[Box, ...] = field(default_factory=tuple)

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]


class FaceBackend(Protocol):
    """Finds faces and judges eyes on a grey working image."""

    key: str  # recorded with every signals row: a different backend invalidates them

    def detect(self, gray: np.ndarray) -> list[Face]: ...


def _cascade(name: str) -> cv2.CascadeClassifier:
    # cv2.data is the wheel's folder of bundled cascades (the type stubs do not list it).
    path = f"{cv2.data.haarcascades}haarcascade_{name}.xml"  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's bundled cascade {path} could not be loaded")
    return cascade


class HaarFaceBackend:
    """OpenCV 4.x Haar cascades: frontal faces, then two eye cascades on prominent faces.

    Cascades are not thread-safe to share; each first-pass thread makes its own backend.
    """

    def __init__(self) -> None:
        self.key = f"opencv-haar/{cv2.__version__}/frontalface_default+eye+eye_tree_eyeglasses"
        self._faces = _cascade("frontalface_default")
        self._eyes = (_cascade("eye"), _cascade("eye_tree_eyeglasses"))

    def detect(self, gray: np.ndarray) -> list[Face]:
        boxes = self._face_boxes(gray)
        largest = max((w * h for _, _, w, h in boxes), default=0)
        faces = []
        for box in boxes:
            prominent = box[2] * box[3] >= PROMINENT_AREA * largest
            if prominent and box[2] >= MIN_FACE_FOR_EYES:
                faces.append(self._with_eyes(gray, box))
            else:
                faces.append(Face(box, prominent))
        return faces

    def _face_boxes(self, gray: np.ndarray) -> list[Box]:
        scale = min(1.0, DETECT_LONG_SIDE / max(gray.shape))
        small = gray
        if scale < 1.0:
            size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
            small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        found, strength = self._faces.detectMultiScale2(
            small,
            scaleFactor=1.2,
            minNeighbors=FACE_NEIGHBOURS,
            minSize=(MIN_FACE_DETECT, MIN_FACE_DETECT),
        )
        if len(found) == 0:
            return []
        # A real face collects neighbours in proportion to its size; a stray hit beside a
        # close-up face collects a handful (5 against 17-22 in the sample bursts).
        keep = np.asarray(strength) >= RELATIVE_STRENGTH * max(strength)
        return [
            tuple(int(round(v / scale)) for v in box)  # type: ignore[misc]
            for box, kept in zip(found, keep, strict=True)
            if kept
        ]

    def _with_eyes(self, gray: np.ndarray, box: Box) -> Face:
        x, y, w, h = box
        top, bottom = y + int(0.15 * h), y + int(0.60 * h)
        # The eye cascades run on the band scaled to a fixed face width: their cost then does
        # not grow with the face (a close-up portrait cost 5x more at working size).
        scale = EYE_SEARCH_FACE_WIDTH / w
        band = cv2.resize(
            gray[top:bottom, x : x + w],
            (EYE_SEARCH_FACE_WIDTH, max(1, round((bottom - top) * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        seen: dict[int, Box] = {}
        for cascade in self._eyes:
            if len(seen) == 2:  # the glasses cascade only looks for what the plain one missed
                break
            found = cascade.detectMultiScale(band, 1.1, 3, minSize=(16, 16), maxSize=(48, 48))
            for ex, ey, ew, eh in found:
                half = 0 if ex + ew / 2 < EYE_SEARCH_FACE_WIDTH / 2 else 1
                eye = (x + int(ex / scale), top + int(ey / scale), int(ew / scale), int(eh / scale))
                seen.setdefault(half, eye)
        darkness = min(_iris_darkness(gray, region) for region in eye_regions(box))
        state = eye_state(len(seen), darkness)
        boxes = tuple(seen[k] for k in sorted(seen))
        return Face(box, True, state, len(seen), round(darkness, 3), boxes)


def eye_state(eyes_seen: int, darkness: float) -> str:
    """ "closed" only on two kinds of evidence; a missed detection alone is "unknown"."""
    if darkness < IRIS_DARKNESS_SURELY_CLOSED and eyes_seen <= 1:
        return "closed"
    if eyes_seen == 0:
        return "closed" if darkness < IRIS_DARKNESS_CLOSED else "unknown"
    return "open"


def eye_regions(box: Box) -> tuple[Box, Box]:
    """Where a frontal face's eyes are, from the face box alone (left, right)."""
    x, y, w, h = box
    top, height = y + int(0.25 * h), int(0.25 * h)
    return (
        (x + int(0.13 * w), top, int(0.34 * w), height),
        (x + int(0.53 * w), top, int(0.34 * w), height),
    )


def _iris_darkness(gray: np.ndarray, region: Box) -> float:
    """How much darker than the eye region's median its darkest iris-sized blob is (0..1).

    The box filter is about an iris wide: a pupil stays dark, a thin lash line does not."""
    x, y, w, h = region
    patch = gray[y : y + h, x : x + w].astype(np.float32)
    if patch.size < 9:
        return 0.0
    k = max(3, (w // 4) | 1)
    blurred = cv2.blur(patch, (k, k))
    median = float(np.median(patch))
    return max(0.0, (median - float(blurred.min())) / max(median, 1.0))


def prominent_faces(faces: list[Face]) -> list[Face]:
    """The faces that count for eye state and face sharpness."""
    return [face for face in faces if face.prominent]
