"""A generated photo shoot for the culling tests and benchmarks: 12-MP frames made from the
sample photos, with bursts (jitter, slight rotation, noise, motion blur, defocus, a synthetic
blink), brackets, panoramas, flat frames and a 16-face group, and EXIF capture times.

Degradations are applied at the sample photo's own resolution and the frame is then upscaled to
4032x3024 (reflect-padded to 4:3) with fresh sensor-like noise, so a frame costs ~0.2 s to make
and its blur is what a camera would record at that framing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tests.support.photos import sample_photo

FULL_SIZE = (4032, 3024)
PORTRAITS = ("astronaut.png", "grace_hopper.jpg")
NO_FACE = ("chelsea.png", "coffee.png", "rocket.jpg")
# Pupil centres and eye half-sizes (x, y, half-width, half-height) in the sample photos' pixels,
# read off the photos by eye; the synthetic blink paints over these.
EYES = {
    "astronaut.png": [(202, 101, 10, 5), (246, 103, 10, 5)],
    "grace_hopper.jpg": [(221, 190, 15, 6), (305, 187, 15, 6)],
}
START = datetime(2024, 5, 18, 14, 30, 0)


def source(name: str) -> np.ndarray:
    """A sample photo as RGB uint8."""
    return np.asarray(Image.open(sample_photo(name)).convert("RGB"))


def blink(image: np.ndarray, name: str, closed: float = 1.0) -> np.ndarray:
    """Close the eyes of a portrait: skin painted over the eye (all of it, or its upper
    `closed` fraction) and a dark lash line drawn where the lids meet."""
    out = image.copy()
    mask = np.zeros(image.shape[:2], np.uint8)
    for x, y, a, b in EYES[name]:
        top = int(y - 1.5 * b)
        bottom = int(y + (1.5 if closed >= 1 else (2 * closed - 1) * 1.5) * b)
        cv2.ellipse(
            mask,
            (x, (top + bottom) // 2),
            (int(1.35 * a), max(1, (bottom - top) // 2)),
            0,
            0,
            360,
            255,
            -1,
        )
    out = cv2.inpaint(out, mask, 5, cv2.INPAINT_TELEA)
    for x, y, a, b in EYES[name]:
        lid_y = y + int((0.6 if closed >= 1 else closed - 0.4) * b)
        cv2.ellipse(out, (x, lid_y - b // 2), (a, b // 2), 0, 20, 160, (55, 40, 35), 1, cv2.LINE_AA)
    return out


def jitter(image: np.ndarray, dx: float, dy: float, degrees: float) -> np.ndarray:
    """Shift and rotate slightly, as a hand-held camera between frames."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def defocus(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def motion_blur(image: np.ndarray, length: int = 9, degrees: float = 15.0) -> np.ndarray:
    """A straight camera shake of `length` pixels (in the sample photo's scale)."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), degrees, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(image, -1, kernel / kernel.sum())


def exposure(image: np.ndarray, ev: float) -> np.ndarray:
    """The frame `ev` stops brighter or darker (a gain in linear light, clipped)."""
    linear = (image.astype(np.float32) / 255.0) ** 2.2 * (2.0**ev)
    return (np.clip(linear, 0, 1) ** (1 / 2.2) * 255).round().astype(np.uint8)


def to_full_size(
    image: np.ndarray, size: tuple[int, int] = FULL_SIZE, noise: float = 4.0, seed: int = 0
) -> np.ndarray:
    """Upscale to fill the frame's height, reflect-pad (or crop) to its width, add noise."""
    width, height = size
    scale = height / image.shape[0]
    big = cv2.resize(image, (round(image.shape[1] * scale), height), interpolation=cv2.INTER_CUBIC)
    if big.shape[1] < width:
        pad = width - big.shape[1]
        big = cv2.copyMakeBorder(big, 0, 0, pad // 2, pad - pad // 2, cv2.BORDER_REFLECT)
    else:
        left = (big.shape[1] - width) // 2
        big = big[:, left : left + width]
    if noise:
        rng = np.random.default_rng(seed)
        big = np.clip(big + rng.normal(0, noise, big.shape).astype(np.float32), 0, 255)
    return big.astype(np.uint8)


@dataclass(frozen=True)
class Exif:
    """What a generated frame's EXIF says (None: leave the tag out)."""

    when: datetime | None = None
    subsec: str | None = None
    exposure_bias: float | None = None
    settings: tuple[float, float, int, float] | None = (1 / 250, 2.8, 200, 50.0)
    image_number: int | None = None


def write_jpeg(path: Path, pixels: np.ndarray, exif: Exif | None = None, quality: int = 92) -> Path:
    """Save RGB pixels as a JPEG with the given EXIF capture facts."""
    info = Image.Exif()
    if exif is not None:
        info[0x0110] = "Generated Camera"
        ifd = info.get_ifd(0x8769)
        if exif.when is not None:
            ifd[0x9003] = exif.when.strftime("%Y:%m:%d %H:%M:%S")
        if exif.subsec is not None:
            ifd[0x9291] = exif.subsec
        if exif.exposure_bias is not None:
            ifd[0x9204] = exif.exposure_bias
        if exif.settings is not None:
            ifd[0x829A], ifd[0x829D], ifd[0x8827], ifd[0x920A] = exif.settings
        if exif.image_number is not None:
            ifd[0x9211] = exif.image_number
    Image.fromarray(pixels).save(path, quality=quality, exif=info)
    return path


def at(seconds: float) -> tuple[datetime, str]:
    """(whole-second time, SubSecTimeOriginal) `seconds` after the shoot's start."""
    moment = START + timedelta(seconds=seconds)
    return moment.replace(microsecond=0), f"{moment.microsecond // 10000:02d}"


def group_frame(
    size: tuple[int, int] = FULL_SIZE,
    rows: int = 4,
    cols: int = 4,
    blinking: frozenset = frozenset(),
) -> np.ndarray:
    """A group photo: rows x cols head-and-shoulders crops of the two portraits on a wall; the
    people at the `blinking` cell indices have their eyes closed."""
    width, height = size
    cell_w, cell_h = width // cols, height // rows
    canvas = np.full((height, width, 3), (170, 160, 150), np.uint8)
    windows = {"astronaut.png": (20, 260, 110, 330), "grace_hopper.jpg": (40, 420, 80, 440)}
    for index in range(rows * cols):
        name = PORTRAITS[index % 2]
        top, bottom, left, right = windows[name]
        person = blink(source(name), name) if index in blinking else source(name)
        crop = person[top:bottom, left:right]
        scale = 0.9 * min(cell_w / crop.shape[1], cell_h / crop.shape[0])
        face = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        r, c = divmod(index, cols)
        y = r * cell_h + (cell_h - face.shape[0]) // 2
        x = c * cell_w + (cell_w - face.shape[1]) // 2
        canvas[y : y + face.shape[0], x : x + face.shape[1]] = face
    return canvas


def flat_frame(kind: str, size: tuple[int, int], seed: int) -> np.ndarray:
    """A black frame (lens cap) or a cloudless sky (a smooth gradient), with sensor noise."""
    width, height = size
    if kind == "black":
        base = np.full((height, width, 3), 6.0, np.float32)
    else:
        ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        base = np.broadcast_to(
            (120 + 60 * ramp) * np.asarray([0.55, 0.75, 1.0]), (height, width, 3)
        )
    rng = np.random.default_rng(seed)
    return np.clip(base + rng.normal(0, 2.0, base.shape), 0, 255).astype(np.uint8)


@dataclass
class ShootFiles:
    """Where each part of a generated shoot lies (lists in capture order)."""

    folder: Path
    bursts: dict[str, list[Path]]  # "astronaut"/"grace_hopper" -> 8 frames, same timestamps
    burst_roles: dict[str, int]  # frame index of "blink", "motion", "defocus"
    bracket: list[Path]  # EV 0, -2, +2
    no_exif_counter: list[Path]  # no EXIF; counter in the name, one mtime
    no_exif_mtime: list[Path]  # no EXIF, no counter; mtimes 0.4 s apart
    flat: list[Path]  # black and sky frames 0.2 s apart
    chain: list[Path]  # 50 frames drifting sideways, 0.2 s apart
    no_face: list[Path]
    group16: Path
    panorama: list[Path]
    focus_stack: list[Path]

    def all(self) -> list[Path]:
        paths = [p for frames in self.bursts.values() for p in frames]
        for part in (
            self.bracket,
            self.no_exif_counter,
            self.no_exif_mtime,
            self.flat,
            self.chain,
            self.no_face,
            [self.group16],
            self.panorama,
            self.focus_stack,
        ):
            paths += part
        return paths


BURST_ROLES = {"blink": 2, "motion": 4, "defocus": 6}
SMALL = (1600, 1200)  # for parts where only grouping matters (chain, flat, sets)


def _burst_frame(image: np.ndarray, name: str, index: int) -> np.ndarray:
    rng = np.random.default_rng(100 + index)
    frame = jitter(image, *rng.uniform(-2.0, 2.0, 2), float(rng.uniform(-0.3, 0.3)))
    if index == BURST_ROLES["blink"]:
        frame = blink(frame, name)
    elif index == BURST_ROLES["motion"]:
        frame = motion_blur(frame, 9, 15.0)
    elif index == BURST_ROLES["defocus"]:
        frame = defocus(frame, 2.0)
    return frame


def build_shoot(folder: Path) -> ShootFiles:
    """Write the whole generated shoot into `folder` (about 30 s on a loaded 2-core machine)."""
    import os

    folder.mkdir(parents=True, exist_ok=True)
    bursts: dict[str, list[Path]] = {}
    for name in PORTRAITS:
        stem = name.split(".")[0]
        image, frames = source(name), []
        for index in range(8):
            when, subsec = at(index * 0.1)  # both bursts share these timestamps exactly
            pixels = to_full_size(_burst_frame(image, name, index), seed=index)
            frames.append(
                write_jpeg(folder / f"{stem}_burst{index:02d}.jpg", pixels, Exif(when, subsec, 0.0))
            )
        bursts[stem] = frames
    rocket = source("rocket.jpg")
    bracket = []
    for index, ev in enumerate((0.0, -2.0, 2.0)):
        when, subsec = at(60 + index * 0.3)
        pixels = to_full_size(exposure(rocket, ev), SMALL, seed=index)
        bracket.append(write_jpeg(folder / f"bracket_{index}.jpg", pixels, Exif(when, subsec, ev)))
    coffee, counter, mtime_only = source("coffee.png"), [], []
    base = START.timestamp() + 120
    for index in range(3):
        pixels = to_full_size(jitter(coffee, index, 0, 0.1 * index), SMALL, seed=index)
        counter.append(write_jpeg(folder / f"IMG_{index + 101:04d}.jpg", pixels))
        os.utime(counter[-1], (base, base))  # copied off a card: one mtime for all
        chelsea = to_full_size(jitter(source("chelsea.png"), index, 0, 0.1), SMALL, seed=index)
        mtime_only.append(write_jpeg(folder / f"cat-{'abc'[index]}.jpg", chelsea))
        os.utime(mtime_only[-1], (base + 200 + 0.4 * index,) * 2)
    flat = []
    for index in range(6):
        kind = "black" if index < 3 else "sky"
        when, subsec = at(300 + index * 0.2)
        flat.append(
            write_jpeg(
                folder / f"flat_{kind}{index}.jpg",
                flat_frame(kind, SMALL, index),
                Exif(when, subsec, 0.0),
            )
        )
    chain = _drifting_chain(folder)
    no_face = []
    for name in NO_FACE:
        when, subsec = at(900 + len(no_face) * 30)
        no_face.append(
            write_jpeg(
                folder / f"noface_{name.split('.')[0]}.jpg",
                to_full_size(source(name)),
                Exif(when, subsec, 0.0),
            )
        )
    when, subsec = at(1200)
    group16 = write_jpeg(
        folder / "group16.jpg", to_full_size(group_frame(), noise=3.0), Exif(when, subsec, 0.0)
    )
    return ShootFiles(
        folder,
        bursts,
        dict(BURST_ROLES),
        bracket,
        counter,
        mtime_only,
        flat,
        chain,
        no_face,
        group16,
        _panorama(folder),
        _focus_stack(folder),
    )


def _wide_scene() -> np.ndarray:
    """A wide made-up scene (the no-face photos side by side) to pan and drift across."""
    parts = [cv2.resize(source(n), (480, 360), interpolation=cv2.INTER_AREA) for n in NO_FACE]
    return np.concatenate(parts, axis=1)


def _drifting_chain(folder: Path) -> list[Path]:
    scene, frames = _wide_scene(), []
    for index in range(50):
        x = index * 10  # each step a little further: neighbours alike, the ends unrelated
        when, subsec = at(600 + index * 0.2)
        crop = scene[:, x : x + 480]
        frames.append(
            write_jpeg(
                folder / f"chain_{index:02d}.jpg",
                to_full_size(crop, SMALL, seed=index),
                Exif(when, subsec, 0.0),
            )
        )
    return frames


def _panorama(folder: Path) -> list[Path]:
    scene, frames = _wide_scene(), []
    for index in range(4):
        when, subsec = at(1500 + index * 1.5)
        crop = scene[:, index * 300 : index * 300 + 480]  # 37 % overlap, a hand-held pan
        frames.append(
            write_jpeg(
                folder / f"pano_{index}.jpg",
                to_full_size(crop, SMALL, seed=index),
                Exif(when, subsec, 0.0),
            )
        )
    return frames


def _focus_stack(folder: Path) -> list[Path]:
    image, frames = source("rocket.jpg"), []
    height = image.shape[0]
    soft = defocus(image, 3.0)
    for index in range(4):
        band = slice(index * height // 4, (index + 1) * height // 4)
        frame = soft.copy()
        frame[band] = image[band]  # the plane of focus moves down the frame
        when, subsec = at(1800 + index * 0.5)
        frames.append(
            write_jpeg(
                folder / f"stack_{index}.jpg",
                to_full_size(frame, SMALL, seed=index),
                Exif(when, subsec, 0.0),
            )
        )
    return frames
