"""The first pass reads what the views read: every format through the one preview decoder, and a
damaged file fails with the same reason and permanence as everywhere else (never another error)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from humanaes_desktop.engine.culling.signals import first_pass
from humanaes_desktop.engine.culling.working_image import WORKING_LONG_SIDE, load_working_image
from humanaes_desktop.engine.images.errors import ImageLoadError
from humanaes_desktop.errors import error_code
from tests.support.failure_corpus import write_corpus
from tests.support.image_files import FORMATS, build, picture


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_gets_signals_at_the_working_size(tmp_path: Path, name: str, backend) -> None:
    suffix, data = build(name, picture(1600, 1200))
    path = tmp_path / f"photo{suffix}"
    path.write_bytes(data)
    image = load_working_image(path)
    width, height = image.full_size
    working_height, working_width = image.rgb.shape[:2]
    assert max(working_width, working_height) == WORKING_LONG_SIDE
    # Upright in both: a rotated file's working image has the full picture's aspect.
    assert (working_width > working_height) == (width > height), (image.full_size, image.rgb.shape)
    signals = first_pass(path, backend)
    assert signals.sharpness.global_ > 0 and 0 < signals.exposure.mean < 255


def test_a_rotated_raw_file_is_passed_upright(tmp_path: Path) -> None:
    suffix, data = build("raw-tiff", picture(1600, 1200))  # orientation 8: 90 degrees
    path = tmp_path / f"photo{suffix}"
    path.write_bytes(data)
    image = load_working_image(path)
    assert image.raw and image.full_size == (1200, 1600)
    assert image.rgb.shape == (1008, 756, 3) and image.rgb.dtype == np.uint8


def test_damaged_files_fail_with_the_decoders_reason_and_permanence(
    tmp_path: Path, backend
) -> None:
    expected = write_corpus(tmp_path / "corpus")
    outcomes = {}
    for name in expected:
        try:
            first_pass(tmp_path / "corpus" / name, backend)
        except ImageLoadError as exc:
            assert exc.permanent, f"{name}: {exc}"
            assert name in str(exc)  # stored as the photo's reason: it names the file
            outcomes[name] = error_code(exc)
        else:
            outcomes[name] = None
    assert outcomes == {name: e.error for name, e in expected.items()}
