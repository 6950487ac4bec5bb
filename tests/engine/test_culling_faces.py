"""Faces and eye state with the bundled OpenCV backend, on the sample portraits, generated
closed-eye variants, a 16-face group photo and photos without faces. Known limits of the
backend are expected failures with their reason, not hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from humanaes_desktop.engine.culling.signals import first_pass
from tests.support.shoot import (
    NO_FACE,
    PORTRAITS,
    blink,
    group_frame,
    source,
    to_full_size,
    write_jpeg,
)


def _signals(tmp_path: Path, backend, pixels, name="photo.jpg", noise=4.0):
    return first_pass(write_jpeg(tmp_path / name, to_full_size(pixels, noise=noise)), backend)


# Where the face is (centre, fraction of the frame) and how big, read off the 12-MP versions.
EXPECTED = {"astronaut.png": ((0.45, 0.22), 0.03), "grace_hopper.jpg": ((0.51, 0.37), 0.10)}


@pytest.mark.parametrize("name", PORTRAITS)
def test_each_portrait_has_exactly_one_face_where_it_is(tmp_path, backend, name) -> None:
    signals = _signals(tmp_path, backend, source(name))
    assert len(signals.faces) == 1
    face = signals.faces[0]
    (cx, cy), area = EXPECTED[name]
    assert abs(face.x + face.w / 2 - cx) < 0.06 and abs(face.y + face.h / 2 - cy) < 0.06
    assert area / 2 < face.w * face.h < area * 2
    assert face.prominent and face.sharpness > 0


@pytest.mark.parametrize("name", NO_FACE)
def test_photos_without_people_have_no_face(tmp_path, backend, name) -> None:
    signals = _signals(tmp_path, backend, source(name))
    assert signals.faces == ()
    assert signals.face_sharpness is None and not signals.eyes_closed


def test_open_eyes_read_as_open(tmp_path, backend) -> None:
    for name in PORTRAITS:
        face = _signals(tmp_path, backend, source(name)).faces[0]
        assert face.eyes in ("open", "unknown"), name  # never "closed"
    assert _signals(tmp_path, backend, source("astronaut.png")).faces[0].eyes == "open"


def test_closed_eyes_are_seen_on_a_portrait_without_glasses(tmp_path, backend) -> None:
    closed = blink(source("astronaut.png"), "astronaut.png")
    signals = _signals(tmp_path, backend, closed)
    assert signals.eyes_closed and "eyes closed" in signals.badges()
    mirrored = _signals(tmp_path, backend, closed[:, ::-1].copy(), "mirrored.jpg")
    assert mirrored.eyes_closed  # left and right are treated alike


@pytest.mark.xfail(
    reason="known limit: behind dark-framed glasses the iris test sees the frame, and the eye "
    "cascades miss both open and closed eyes; only the group-relative test could catch it",
    strict=True,
)
def test_closed_eyes_behind_glasses(tmp_path, backend) -> None:
    signals = _signals(tmp_path, backend, blink(source("grace_hopper.jpg"), "grace_hopper.jpg"))
    assert signals.eyes_closed


@pytest.mark.xfail(reason="known limit: half-closed eyes still show a pupil; they read as open")
def test_half_closed_eyes(tmp_path, backend) -> None:
    half = blink(source("astronaut.png"), "astronaut.png", closed=0.5)
    assert _signals(tmp_path, backend, half).eyes_closed


def test_the_group_photo_has_its_sixteen_faces(tmp_path, backend) -> None:
    signals = _signals(tmp_path, backend, group_frame(), noise=3.0)
    assert len(signals.faces) >= 14
    assert sum(f.prominent for f in signals.faces) >= 14
    assert "16 faces" in signals.badges() or len(signals.faces) != 16


def test_one_blink_in_a_group_photo_counts_for_the_photo(tmp_path, backend) -> None:
    """The worst prominent face decides: one person blinking spoils the group photo."""
    everyone = _signals(tmp_path, backend, group_frame(rows=2, cols=2), "open.jpg", noise=3.0)
    one_blinks = group_frame(rows=2, cols=2, blinking=frozenset({0}))
    signals = _signals(tmp_path, backend, one_blinks, "blink.jpg", noise=3.0)
    assert len(everyone.faces) == len(signals.faces) == 4
    assert not everyone.eyes_closed
    assert signals.eyes_closed
    assert sum(f.eyes == "closed" for f in signals.faces) == 1


@pytest.mark.xfail(
    reason="known limit: faces under ~48 px wide in the working image (an 8x8 group in one "
    "frame) are below the detector's smallest window at its search size",
    strict=True,
)
def test_small_faces_of_a_large_group(tmp_path, backend) -> None:
    signals = _signals(tmp_path, backend, group_frame(rows=8, cols=8), noise=3.0)
    assert len(signals.faces) >= 48


def test_the_backend_is_recorded_with_the_signals(tmp_path, backend) -> None:
    signals = _signals(tmp_path, backend, source("coffee.png"))
    assert signals.face_backend.startswith("opencv-haar/4.")
