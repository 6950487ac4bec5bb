"""Every decoder failure becomes an ImageLoadError with the right permanence, whatever raised it.

Three readers are exercised on each file: the model input (`open_image`), the scanner's header
read (`read_image_info`) and the views' decoder (`decode_preview`). The corpus holds every failure
class found; the fuzzing cuts each supported format at many offsets and flips random bytes.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images import source
from humanaes_desktop.engine.images.errors import (
    ImageChangedWhileReadingError,
    ImageLoadError,
    ImageTemporarilyUnavailableError,
    ImageTooLargeError,
    TruncatedImageError,
)
from humanaes_desktop.engine.images.loading import open_image, read_image_info
from humanaes_desktop.engine.images.preview import decode_preview
from humanaes_desktop.errors import error_code
from tests.support.failure_corpus import write_corpus
from tests.support.image_files import FORMATS, build, flipped, truncations

EXACT = PreprocessProfile(max_tiles=1)
FAST = PreprocessProfile(max_tiles=1, decode="fast")
READERS = {
    "open_image": lambda path: open_image(path, EXACT),
    "open_image_fast": lambda path: open_image(path, FAST),
    "read_image_info": read_image_info,
    "decode_preview": lambda path: decode_preview(path, 96),
}


def _code(exc: ImageLoadError) -> str:
    return error_code(exc)  # what `humanaes score` prints


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, write_corpus(folder)


@pytest.mark.parametrize("reader", READERS)
def test_every_failure_class_gets_its_reason_and_is_permanent(corpus, reader) -> None:
    folder, expected = corpus
    outcomes = {}
    for name in expected:
        try:
            READERS[reader](folder / name)
        except ImageLoadError as exc:
            assert exc.permanent, f"{name}: {exc}"
            assert name in str(exc)  # the message names the file
            outcomes[name] = _code(exc)
        else:
            outcomes[name] = None
    if reader == "read_image_info":  # headers only: some damage waits for the decode
        wanted = {n: None if e.status == "queued" else e.error for n, e in expected.items()}
    else:
        wanted = {n: e.error for n, e in expected.items()}
    assert outcomes == wanted


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_fuzzed_files_decode_or_fail_permanently(tmp_path: Path, name: str) -> None:
    suffix, data = build(name)
    variants = [data[:cut] for cut in truncations(data, 24)]
    variants += [flipped(data, seed) for seed in range(16)]
    failures: dict[str, int] = {}
    for number, blob in enumerate(variants):
        path = tmp_path / f"fuzz{number}{suffix}"
        path.write_bytes(blob)
        for reader in ("open_image", "read_image_info", "decode_preview"):
            try:
                result = READERS[reader](path)
            except ImageLoadError as exc:
                assert exc.permanent, f"{path.name} via {reader}: {exc}"
                assert path.name in str(exc)
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
                continue
            if reader == "open_image":
                assert result.mode == "RGB" and min(result.size) >= 1
            elif reader == "decode_preview":
                assert result.image.mode == "RGB" and max(result.image.size) <= 96
    # Cutting a file in its header can only fail: the fuzzing did reach the error paths.
    assert sum(failures.values()) >= 20, failures


def _copy_finishes_after_the_read(monkeypatch, path: Path, rest: bytes) -> None:
    """The copier writes the rest of the file just after we read it (staged, deterministic)."""
    read = source.read_file_bytes

    def read_then_grow(target: Path):
        result = read(target)
        if Path(target) == path:
            with open(path, "ab") as file:
                file.write(rest)
        return result

    monkeypatch.setattr(source, "read_file_bytes", read_then_grow)


def test_a_file_still_being_copied_is_transient_not_damaged(tmp_path, monkeypatch) -> None:
    data = build("png")[1]
    path = tmp_path / "copying.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedImageError):  # as it stands, the bytes are damaged
        open_image(path, EXACT)
    _copy_finishes_after_the_read(monkeypatch, path, data[len(data) // 2 :])
    with pytest.raises(ImageChangedWhileReadingError, match="changed while it was read") as err:
        open_image(path, EXACT)
    assert not err.value.permanent
    monkeypatch.undo()
    assert open_image(path, EXACT).size == (320, 240)  # the retry reads the finished file


def test_a_file_deleted_while_it_is_read_is_transient(tmp_path, monkeypatch) -> None:
    data = build("jpeg")[1]
    path = tmp_path / "moved-away.jpg"
    path.write_bytes(data[:300])
    read = source.read_file_bytes

    def read_then_delete(target: Path):
        result = read(target)
        os.unlink(target)
        return result

    monkeypatch.setattr(source, "read_file_bytes", read_then_delete)
    with pytest.raises(ImageTemporarilyUnavailableError, match="deleted or moved") as err:
        open_image(path, EXACT)
    assert not err.value.permanent


@pytest.mark.parametrize(
    "error",
    [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EIO, "I/O error")],
    ids=["permission", "io-error"],
)
@pytest.mark.parametrize("suffix", [".jpg", ".nef"])  # the plain and the RAW reader
def test_file_system_trouble_is_transient(tmp_path, monkeypatch, error, suffix) -> None:
    path = tmp_path / f"locked{suffix}"
    path.write_bytes(build("raw-tiff" if suffix == ".nef" else "jpeg")[1])
    real_open = os.open

    def refusing_open(target, *args, **kwargs):
        if Path(target) == path:
            raise type(error)(error.errno, error.strerror, os.fspath(target))
        return real_open(target, *args, **kwargs)

    # Tests may run as root, which chmod cannot lock out: refuse the open itself.
    monkeypatch.setattr(os, "open", refusing_open)
    for reader in ("open_image", "decode_preview"):
        with pytest.raises(ImageTemporarilyUnavailableError, match=error.strerror) as err:
            READERS[reader](path)
        assert not err.value.permanent


def test_a_decompression_bomb_is_refused_before_any_pixel_is_decoded(corpus) -> None:
    folder, _ = corpus
    for reader in READERS.values():
        with pytest.raises(ImageTooLargeError, match="400 megapixels; the limit is 250"):
            reader(folder / "bomb.png")


def test_the_good_files_of_the_corpus_look_alike_in_every_reader(corpus) -> None:
    folder, expected = corpus
    for name in (n for n, e in expected.items() if e.error is None):
        preview = decode_preview(folder / name, 96).image
        full = open_image(folder / name, EXACT)
        assert max(preview.size) == 96, name
        assert preview.size == (
            round(full.width * 96 / max(full.size)),
            round(full.height * 96 / max(full.size)),
        )
        difference = np.asarray(preview, np.float64) - np.asarray(full.resize(preview.size))
        assert np.abs(difference).mean() < 8, name
