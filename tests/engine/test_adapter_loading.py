"""Loading details: streamed weights, folder names transformers cannot import, quiet logs."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

import pytest
import torch

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.engine.images.loading import load_pixels
from humanaes_desktop.engine.model.adapter import HumanAesExpert
from humanaes_desktop.engine.model.load_support import alias_for, needs_alias
from humanaes_desktop.engine.model.streamed_weights import LazySafetensors
from humanaes_desktop.engine.store.manifest import ModelVerificationError

PROFILE = PreprocessProfile(max_tiles=1)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_lazy_state_dict_reads_the_same_tensors_as_safetensors(tiny_model_dir):
    from safetensors.torch import load_file

    path = tiny_model_dir / "model.safetensors"
    expected = load_file(path)
    lazy = LazySafetensors(path)
    assert sorted(lazy) == sorted(expected) and len(lazy) == len(expected)
    for name, tensor in lazy.items():
        assert tensor.dtype == expected[name].dtype
        assert torch.equal(tensor, expected[name]), name
    lazy["renamed"] = lazy.pop(next(iter(expected)))  # transformers renames keys like this
    assert "renamed" in lazy and len(lazy) == len(expected)


def test_streamed_load_gives_bit_identical_parameters(tiny_model_dir):
    streamed = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1)
    whole = HumanAesExpert.load(tiny_model_dir, device="cpu", threads=1, stream_weights=False)
    a, b = streamed.model.state_dict(), whole.model.state_dict()
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtype == b[name].dtype == torch.float32 or not a[name].is_floating_point()
        assert torch.equal(a[name], b[name]), name


def test_folder_with_dots_and_spaces_in_its_name_loads_and_scores(
    tiny_model_dir, tmp_path, sample_photos_dir
):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "my.model v2")
    assert needs_alias(folder)
    engine = HumanAesExpert.load(folder, device="cpu", threads=1)
    assert engine.verified.path == folder.resolve()
    assert engine.identity.synthetic is True
    result = engine.assess(load_pixels(sample_photos_dir / "camera.png", PROFILE), profile=PROFILE)
    assert 0.0 <= result.overall <= 1.0


def test_dotted_folder_is_still_verified_before_its_code_runs(tiny_model_dir, tmp_path):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "tampered.model")
    code = folder / "modeling_internvl_chat.py"
    code.write_text(code.read_text() + "\nimport sys\nsys.HUMANAES_DOTTED_TAMPERED = True\n")
    with pytest.raises(ModelVerificationError):
        HumanAesExpert.load(folder, device="cpu")
    assert not hasattr(sys, "HUMANAES_DOTTED_TAMPERED")


def test_alias_is_remade_to_point_at_the_verified_folder(tmp_path):
    first, second = tmp_path / "a.b", tmp_path / "elsewhere" / "a.b"
    first.mkdir()
    second.mkdir(parents=True)
    link = alias_for(first, tmp_path / "aliases")
    assert link.resolve() == first.resolve() and not needs_alias(link)
    other = alias_for(second, tmp_path / "aliases")
    assert other != link  # same name, different folders: never one module namespace
    link.unlink()
    link.symlink_to(second)  # someone re-points the alias ...
    assert alias_for(first, tmp_path / "aliases").resolve() == first.resolve()  # ... it is re-made


def test_transformers_warnings_go_to_the_log_not_the_terminal(tiny_model_dir, sample_photos_dir):
    """A real CLI run: no transformers deprecation chatter on stderr, all of it under -v."""
    image = sample_photos_dir / "camera.png"
    command = [sys.executable, "-m", "humanaes_desktop", "score", str(image)]
    command += ["--model", str(tiny_model_dir), "--max-tiles", "1", "--annotate"]
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    quiet = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    assert quiet.returncode == 0, quiet.stderr
    assert "past_key_values" not in quiet.stderr
    # What remains is ours: the synthetic-model notice, nothing from transformers or torch.
    assert [line for line in quiet.stderr.splitlines() if "SYNTHETIC" not in line] == []
    verbose_command = [*command[:3], "-v", *command[3:]]
    verbose = subprocess.run(verbose_command, capture_output=True, text=True, env=env, timeout=240)
    assert "transformers" in verbose.stderr


def test_transformers_errors_keep_their_level_and_warnings_become_info():
    from transformers.utils import logging as hf_logging

    from humanaes_desktop.engine.model.load_support import route_transformers_logging

    route_transformers_logging()
    seen: list[logging.LogRecord] = []
    collector = logging.Handler()
    collector.emit = seen.append
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(collector)
    try:
        root.setLevel(logging.WARNING)  # what the CLI runs with: the warning is not shown
        probe = hf_logging.get_logger("transformers.test_probe")
        probe.warning("probe warning")
        probe.error("probe error")
        root.setLevel(logging.INFO)  # the log file / -v: it is there, as INFO
        probe.warning("probe warning, verbose")
    finally:
        root.removeHandler(collector)
        root.setLevel(saved_level)
    assert [(r.getMessage(), r.levelno) for r in seen] == [
        ("probe error", logging.ERROR),
        ("probe warning, verbose", logging.INFO),
    ]
