"""First-pass signals of one photo: the decode, sharpness, exposure, hashes and capture time."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from humanaes_desktop.engine.culling.capture import file_counter, read_capture, xmp_burst_id
from humanaes_desktop.engine.culling.hashes import compute_hashes, hamming, to_signed, to_unsigned
from humanaes_desktop.engine.culling.signals import SIGNALS_VERSION, first_pass
from humanaes_desktop.engine.culling.working_image import load_working_image
from humanaes_desktop.engine.images.errors import ImageLoadError
from tests.support.shoot import (
    SMALL,
    Exif,
    at,
    defocus,
    exposure,
    flat_frame,
    source,
    to_full_size,
    write_jpeg,
)


def test_a_12_mp_jpeg_decodes_once_at_the_working_size(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", to_full_size(source("coffee.png")))
    image = load_working_image(path)
    assert image.rgb.shape == (756, 1008, 3)
    assert image.full_size == (4032, 3024)


def test_exif_orientation_gives_an_upright_working_image(tmp_path: Path) -> None:
    pixels = to_full_size(source("coffee.png"), SMALL)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    path = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(path, exif=exif)
    image = load_working_image(path)
    assert image.rgb.shape[:2] == (1008, 756)
    assert image.full_size == (1200, 1600)


def test_a_png_is_decoded_and_reduced(sample_photos_dir: Path) -> None:
    image = load_working_image(sample_photos_dir / "coffee.png", long_side=300)
    assert max(image.rgb.shape[:2]) == 300


def test_a_broken_file_raises_an_image_load_error(tmp_path: Path, backend) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ImageLoadError):
        first_pass(path, backend)


def test_sharpness_falls_with_blur_globally_and_at_the_peak(tmp_path: Path, backend) -> None:
    values = []
    for sigma in (0, 2, 6):
        image = source("grace_hopper.jpg")
        blurred = defocus(image, sigma) if sigma else image
        path = write_jpeg(tmp_path / f"s{sigma}.jpg", to_full_size(blurred, SMALL))
        values.append(first_pass(path, backend).sharpness)
    assert values[0].global_ > values[1].global_ > values[2].global_
    assert values[0].peak > values[1].peak > values[2].peak


def test_a_sharp_face_in_a_blurred_frame_keeps_a_sharp_peak(tmp_path: Path, backend) -> None:
    """Shallow depth of field: the frame is mostly blur, the subject is sharp."""
    image = source("grace_hopper.jpg")
    shallow = defocus(image, 6)
    shallow[100:330, 130:400] = image[100:330, 130:400]  # the face stays in focus
    sharp = first_pass(write_jpeg(tmp_path / "a.jpg", to_full_size(image, SMALL)), backend)
    dof = first_pass(write_jpeg(tmp_path / "b.jpg", to_full_size(shallow, SMALL)), backend)
    assert dof.sharpness.global_ < 0.75 * sharp.sharpness.global_
    # The face measures as sharp as in the all-sharp frame, and the peak tile sits on it.
    assert dof.face_sharpness == pytest.approx(sharp.face_sharpness, rel=0.2)
    assert dof.sharpness.concentration > 2 * sharp.sharpness.concentration
    assert not dof.soft
    assert 0.3 < dof.sharpness.peak_x < 0.7 and dof.sharpness.peak_y < 0.6


def test_clipping_grows_with_exposure(tmp_path: Path, backend) -> None:
    image = source("coffee.png")
    measured = {}
    for ev in (-2, 0, 1, 2, 3):
        path = write_jpeg(tmp_path / f"ev{ev}.jpg", to_full_size(exposure(image, ev), SMALL))
        measured[ev] = first_pass(path, backend)
    highlights = [measured[ev].exposure.highlights_clipped for ev in (0, 1, 2, 3)]
    assert highlights == sorted(highlights) and highlights[-1] > highlights[0] + 0.05
    assert measured[3].clipped and "clipped" in measured[3].badges()
    assert not measured[0].clipped
    assert measured[-2].exposure.mean < measured[0].exposure.mean < measured[2].exposure.mean
    channels = measured[3].exposure.channels_clipped
    assert len(channels) == 3 and max(channels) >= measured[3].exposure.highlights_clipped


def _gray(name: str) -> np.ndarray:
    return cv2.cvtColor(source(name), cv2.COLOR_RGB2GRAY)


def test_hashes_are_stable_under_noise_and_far_for_other_photos() -> None:
    gray = _gray("coffee.png")
    noisy = np.clip(gray + np.random.default_rng(1).normal(0, 3, gray.shape), 0, 255)
    a, b = compute_hashes(gray), compute_hashes(noisy.astype(np.uint8))
    c = compute_hashes(_gray("rocket.jpg"))
    assert hamming(a.phash, b.phash) <= 4 and hamming(a.dhash, b.dhash) <= 8
    assert hamming(a.phash, c.phash) > 16


def test_flat_frames_are_flat_and_photos_are_not() -> None:
    black = cv2.cvtColor(flat_frame("black", (640, 480), 0), cv2.COLOR_RGB2GRAY)
    sky = cv2.cvtColor(flat_frame("sky", (640, 480), 0), cv2.COLOR_RGB2GRAY)
    assert compute_hashes(black).flatness < 0.5
    assert compute_hashes(sky).flatness < 0.5
    for name in ("coffee.png", "rocket.jpg", "chelsea.png", "astronaut.png"):
        assert compute_hashes(_gray(name)).flatness > 1.0, name


def test_signed_storage_of_hashes_round_trips() -> None:
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert -(1 << 63) <= to_signed(value) < 1 << 63
        assert to_unsigned(to_signed(value)) == value


def test_capture_time_uses_subseconds_and_the_exposure_bias(tmp_path: Path, backend) -> None:
    when, subsec = at(3.25)
    path = write_jpeg(
        tmp_path / "DSC_0042.jpg",
        to_full_size(source("coffee.png"), SMALL),
        Exif(when, subsec, -0.7, image_number=None),
    )
    signals = first_pass(path, backend)
    assert signals.capture.source == "exif+subsec"
    assert signals.capture.time == pytest.approx(when.timestamp() + 0.25)
    assert signals.capture.exposure_bias == pytest.approx(-0.7)
    assert signals.capture.counter == 42
    assert signals.capture.exposure_key == "0.004/2.8/200/50"
    assert signals.capture.camera == "Generated Camera"
    assert signals.version == SIGNALS_VERSION and signals.face_backend == backend.key


def test_a_utc_offset_makes_the_time_exact(tmp_path: Path) -> None:
    path = tmp_path / "offset.jpg"
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003], ifd[0x9011] = "2024:05:18 14:30:00", "+02:00"
    Image.new("RGB", (64, 48)).save(path, exif=exif)
    capture = read_capture(path, Image.open(path).getexif())
    assert capture.time == 1716035400.0  # 12:30 UTC


def test_without_exif_the_mtime_is_used_and_marked(tmp_path: Path, backend) -> None:
    path = write_jpeg(tmp_path / "IMG_9999.jpg", to_full_size(source("coffee.png"), SMALL))
    os.utime(path, (1_700_000_000.5, 1_700_000_000.5))
    capture = first_pass(path, backend).capture
    assert capture.source == "mtime" and capture.time == 1_700_000_000.5
    assert capture.counter == 9999 and capture.exposure_bias is None


def test_file_counters_and_burst_ids_are_read() -> None:
    assert file_counter("DSC_0123.JPG") == 123
    assert file_counter("IMG_20240518_143000_123.jpg") == 123
    assert file_counter("holiday.jpg") is None
    xmp = b'<x:xmpmeta><rdf:Description GCamera:BurstID="a1b2-c3" /></x:xmpmeta>'
    assert xmp_burst_id(xmp) == "a1b2-c3"
    assert xmp_burst_id(b"<GCamera:BurstID>zz9</GCamera:BurstID>") == "zz9"
    assert xmp_burst_id(None) is None


def test_signals_serialise_to_plain_json(generated_shoot, shoot_signals) -> None:
    import json

    signals = shoot_signals[generated_shoot.bursts["astronaut"][0]]
    data = json.loads(json.dumps(signals.to_json_dict()))
    assert len(data["hashes"]["phash"]) == 16 and data["faces"][0]["prominent"] is True
