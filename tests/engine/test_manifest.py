"""Model-folder verification: what is refused, what is accepted, what the stat shortcut catches."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from humanaes_desktop.engine.store import manifest
from humanaes_desktop.engine.store.manifest import (
    ModelFolderChangedError,
    ModelNotFoundError,
    ModelVerificationError,
    UnverifiedModelError,
    format_manifest,
    parse_manifest,
    sha256_file,
    verify_model_folder,
)
from humanaes_desktop.errors import UserError


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def fake_official_files(config: bytes = b'{"model_type": "internvl_chat"}') -> dict[str, bytes]:
    """The 16 file names of the official release, with made-up contents."""
    names = manifest.official_manifest("1b")
    files = {name: f"contents of {name}".encode() for name in names}
    files["config.json"] = config
    files["model.safetensors"] = os.urandom(4096)
    return files


@pytest.fixture
def official_like(tmp_path, monkeypatch) -> Path:
    """A folder that the (patched) official manifest describes exactly."""
    folder = make_folder(tmp_path / "HumanAesExpert-1B", fake_official_files())
    hashes = {name: sha256_file(folder / name) for name in manifest.folder_files(folder)}
    monkeypatch.setattr(manifest, "official_manifest", lambda variant="1b": dict(hashes))
    return folder


def test_shipped_manifest_lists_the_16_pinned_files():
    hashes = manifest.official_manifest("1b")
    assert len(hashes) == 16
    assert "model.safetensors" in hashes and "modeling_internvl_chat.py" in hashes
    assert hashes["model.safetensors"].startswith("61c232b0068d28af")
    assert manifest.OFFICIAL_MODELS["1b"].revision == "b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183"


def test_manifest_round_trip_and_sha256sum_binary_marker():
    hashes = {"b.json": "1" * 64, "a.py": "f" * 64}
    assert parse_manifest(format_manifest(hashes)) == hashes
    assert parse_manifest("# comment\n\n" + "A" * 64 + " *x.bin\n") == {"x.bin": "a" * 64}
    with pytest.raises(ValueError):
        parse_manifest("nothex  file\n")


def test_missing_folder_names_the_download_command(tmp_path):
    with pytest.raises(ModelNotFoundError, match="humanaes model download") as info:
        verify_model_folder(tmp_path / "nowhere")
    assert isinstance(info.value, UserError)


def test_fake_official_folder_with_other_config_is_refused_before_import(tmp_path):
    folder = make_folder(tmp_path / "fake", fake_official_files(b'{"evil": true}'))
    (folder / "modeling_internvl_chat.py").write_text("import sys; sys.HUMANAES_PWNED = True\n")
    with pytest.raises(ModelVerificationError) as info:
        verify_model_folder(folder)
    assert info.value.file_name == "config.json"
    assert "config.json" in str(info.value)
    assert not hasattr(sys, "HUMANAES_PWNED")
    # Other tests legitimately load synthetic models; only code from *this* folder matters.
    loaded_from_fake = [
        name
        for name, module in list(sys.modules.items())
        if str(folder) in str(getattr(module, "__file__", "") or "")
        or name.startswith("transformers_modules.fake")
    ]
    assert loaded_from_fake == []


def test_official_folder_verifies_and_names_the_pinned_revision(official_like):
    verified = verify_model_folder(official_like)
    assert verified.kind == "official"
    assert verified.identity.repo == "KlingTeam/HumanAesExpert-1B"
    assert verified.identity.revision == "b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183"
    assert verified.identity.weights_sha256 == sha256_file(official_like / "model.safetensors")
    assert verified.identity.synthetic is False
    assert "model.safetensors" in verified.hashed


def test_tampered_small_file_is_refused_on_every_load(official_like):
    verify_model_folder(official_like)
    (official_like / "modeling_qwen.py").write_bytes(b"contents of modeling_qwen.pY")
    with pytest.raises(ModelVerificationError) as info:
        verify_model_folder(official_like)
    assert info.value.file_name == "modeling_qwen.py"


def test_weights_hashed_once_then_trusted_by_unchanged_stamp(official_like):
    first = verify_model_folder(official_like)
    second = verify_model_folder(official_like)
    assert "model.safetensors" in first.hashed
    assert second.weights_from_record == ("model.safetensors",)
    assert "model.safetensors" not in second.hashed
    assert "config.json" in second.hashed  # small files: every load


def _flip_byte_keep_size(path: Path, *, restore_mtime: bool) -> None:
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    if restore_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_same_size_weights_edit_is_caught(official_like):
    verify_model_folder(official_like)
    _flip_byte_keep_size(official_like / "model.safetensors", restore_mtime=False)
    with pytest.raises(ModelVerificationError, match="model.safetensors"):
        verify_model_folder(official_like)


def test_weights_edit_with_restored_mtime_is_caught_by_ctime(official_like):
    # An edit that puts the old mtime back still changes the inode's ctime, which no ordinary
    # program can set, so the shortcut re-hashes and refuses.
    verify_model_folder(official_like)
    _flip_byte_keep_size(official_like / "model.safetensors", restore_mtime=True)
    with pytest.raises(ModelVerificationError, match="model.safetensors"):
        verify_model_folder(official_like)


def test_full_verification_rehashes_weights(official_like):
    verify_model_folder(official_like)
    assert "model.safetensors" in verify_model_folder(official_like, full=True).hashed


def test_extra_code_file_in_official_folder_is_refused(official_like):
    (official_like / "sitecustomize.py").write_text("print('hi')\n")
    with pytest.raises(ModelVerificationError) as info:
        verify_model_folder(official_like)
    assert info.value.file_name == "sitecustomize.py"


def test_readme_and_hidden_git_files_are_tolerated(official_like):
    (official_like / "README.md").write_text("# model card\n")
    (official_like / ".gitattributes").write_text("*.safetensors filter=lfs\n")
    assert verify_model_folder(official_like).kind == "official"


def test_missing_official_file_is_reported_with_what_to_do(official_like):
    (official_like / "vocab.json").unlink()
    # Without all official names it is an unknown folder: refused unless trusted.
    with pytest.raises(UnverifiedModelError, match="--trust-model-folder"):
        verify_model_folder(official_like)


def test_unknown_folder_refused_then_trusted_then_change_refused(tmp_path):
    folder = make_folder(
        tmp_path / "my-finetune",
        {"config.json": b"{}", "modeling_x.py": b"X = 1\n", "model.safetensors": b"w" * 64},
    )
    with pytest.raises(UnverifiedModelError):
        verify_model_folder(folder)
    trusted = verify_model_folder(folder, trust_unknown=True)
    assert trusted.kind == "trusted" and trusted.identity.synthetic is False
    assert trusted.identity.repo == "local/my-finetune"
    # Remembered: a later load needs no flag.
    assert verify_model_folder(folder).kind == "trusted"
    (folder / "modeling_x.py").write_bytes(b"X = 2\n")
    with pytest.raises(ModelFolderChangedError, match="modeling_x.py"):
        verify_model_folder(folder, trust_unknown=True)


def test_trusted_folder_with_added_file_is_refused(tmp_path):
    folder = make_folder(tmp_path / "ft", {"config.json": b"{}", "a.py": b"A = 1\n"})
    verify_model_folder(folder, trust_unknown=True)
    (folder / "b.py").write_text("B = 1\n")
    with pytest.raises(ModelFolderChangedError, match="b.py"):
        verify_model_folder(folder)


def test_forgetting_a_trusted_folder_requires_trust_again(tmp_path):
    from humanaes_desktop.engine.store import known_folders

    folder = make_folder(tmp_path / "ft", {"config.json": b"{}", "a.py": b"A = 1\n"})
    verify_model_folder(folder, trust_unknown=True)
    assert known_folders.forget_folder(folder) is True
    with pytest.raises(UnverifiedModelError):
        verify_model_folder(folder)
