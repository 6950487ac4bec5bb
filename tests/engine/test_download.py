"""Model download with an injected local source: progress, resume, verification, offline."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from humanaes_desktop.engine.store import download, known_folders, manifest
from humanaes_desktop.engine.store.download import (
    DownloadCancelled,
    HubSource,
    LocalFolderSource,
    ModelDownloadError,
    download_model,
    staging_folder,
)
from humanaes_desktop.engine.store.manifest import sha256_file, verify_model_folder


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def release(tmp_path, monkeypatch) -> Path:
    """A folder standing in for the hub's files; the shipped manifest is patched to describe it."""
    folder = tmp_path / "release"
    folder.mkdir()
    for name in manifest.official_manifest("1b"):
        (folder / name).write_bytes(f"contents of {name}\n".encode() * 3)
    (folder / "config.json").write_text('{"model_type": "internvl_chat"}')
    (folder / "model.safetensors").write_bytes(os.urandom(64 * 1024))
    hashes = {p.name: sha256_file(p) for p in folder.iterdir()}
    monkeypatch.setattr(manifest, "official_manifest", lambda variant="1b": dict(hashes))
    monkeypatch.setattr(download, "official_manifest", lambda variant="1b": dict(hashes))
    return folder


class CountingSource(LocalFolderSource):
    def __init__(self, folder: Path, **kwargs) -> None:
        super().__init__(folder, **kwargs)
        self.opened: list[tuple[str, int]] = []

    def open(self, name, offset):
        self.opened.append((name, offset))
        return super().open(name, offset)


def test_download_reports_progress_and_installs_a_verified_folder(release, tmp_path):
    events = []
    dest = tmp_path / "models" / "HumanAesExpert-1B"
    source = LocalFolderSource(release, chunk_size=4096)
    installed = download_model(dest=dest, progress=events.append, source=source)
    assert installed == dest.resolve()
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in release.iterdir())
    assert not staging_folder(dest).exists()
    weights = [e for e in events if e.file == "model.safetensors"]
    assert [e.file_done for e in weights] == sorted(e.file_done for e in weights)
    assert weights[-1].file_done == weights[-1].file_total == 64 * 1024
    assert len(weights) == 16  # 64 KiB in 4 KiB chunks
    assert events[-1].files_total == 16 and events[-1].files_done == 15
    verified = verify_model_folder(dest)
    assert verified.kind == "official"
    # The download hashed the weights already: the first load does not hash 1.9 GB again.
    assert verified.weights_from_record == ("model.safetensors",)


def test_cancel_keeps_partial_files_and_the_next_run_resumes(release, tmp_path):
    dest = tmp_path / "m"
    cancel = threading.Event()

    def cancel_midway(name, offset):
        if name == "model.safetensors" and offset >= 20 * 1024:
            cancel.set()

    first = LocalFolderSource(release, chunk_size=4096, on_chunk=cancel_midway)
    with pytest.raises(DownloadCancelled, match="resume"):
        download_model(dest=dest, cancel=cancel, source=first)
    assert not dest.exists()
    part = staging_folder(dest) / "model.safetensors.part"
    kept = part.stat().st_size
    assert 0 < kept < 64 * 1024
    assert (staging_folder(dest) / "config.json").exists()  # finished files stay finished

    second = CountingSource(release, chunk_size=4096)
    download_model(dest=dest, source=second)
    assert second.opened == [("model.safetensors", kept)]  # only the missing bytes
    assert sha256_file(dest / "model.safetensors") == sha256_file(release / "model.safetensors")


def test_corrupted_file_is_refused_and_removed(release, tmp_path):
    (release / "vocab.json").write_bytes(b"tampered on the server")
    dest = tmp_path / "m"
    with pytest.raises(ModelDownloadError, match="vocab.json") as info:
        download_model(dest=dest, source=LocalFolderSource(release))
    assert "SHA-256" in str(info.value)
    assert not dest.exists()
    assert not (staging_folder(dest) / "vocab.json.part").exists()
    assert not (staging_folder(dest) / "vocab.json").exists()


def test_existing_installation_is_reused_and_junk_destination_refused(release, tmp_path):
    dest = tmp_path / "m"
    download_model(dest=dest, source=LocalFolderSource(release))
    again = CountingSource(release)
    assert download_model(dest=dest, source=again) == dest.resolve()
    assert again.opened == []
    junk = tmp_path / "junk"
    junk.mkdir()
    with pytest.raises(ModelDownloadError, match="already exists"):
        download_model(dest=junk, source=LocalFolderSource(release))


def test_default_destination_is_in_the_user_data_dir(release, tmp_path):
    installed = download_model(source=LocalFolderSource(release))
    assert installed.parent == (tmp_path / "data" / "models").resolve()
    assert installed in known_folders.installed_model_folders()


def test_unreachable_hub_gives_a_clear_offline_message(tmp_path):
    # Port 9 on loopback refuses at once: the same path as a machine without internet.
    source = HubSource(
        "KlingTeam/HumanAesExpert-1B",
        "b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183",
        endpoint="http://127.0.0.1:9",
        timeout=5,
    )
    with pytest.raises(ModelDownloadError) as info:
        download_model(dest=tmp_path / "m", source=source)
    message = str(info.value)
    assert "no internet connection" in message and "humanaes model verify" in message


def test_download_module_does_not_import_torch():
    code = (
        "import sys, humanaes_desktop.engine.store.download as d; "
        "d.HubSource('a/b', 'c'); assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
