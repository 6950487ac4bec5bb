"""Downloading the model from the GUI: live progress, pause and resume, a clear offline error.

No network: B2's injectable LocalFolderSource serves a stand-in release from a folder, and the
shipped manifest is patched to describe that release (as tests/engine/test_download.py does).
"""

from __future__ import annotations

import os
import threading

import pytest

from humanaes_desktop.engine.store import download, manifest
from humanaes_desktop.engine.store.download import DownloadCancelled, HubSource, LocalFolderSource
from humanaes_desktop.engine.store.manifest import sha256_file
from humanaes_desktop.settings import AppSettings
from humanaes_desktop.ui.dialogs.download import DownloadDialog, human_bytes
from humanaes_desktop.ui.dialogs.model_setup import ModelSetupDialog


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def release(tmp_path, monkeypatch):
    folder = tmp_path / "release"
    folder.mkdir()
    for name in manifest.official_manifest("1b"):
        (folder / name).write_bytes(f"contents of {name}\n".encode() * 3)
    (folder / "config.json").write_text('{"model_type": "internvl_chat"}')
    (folder / "model.safetensors").write_bytes(os.urandom(256 * 1024))
    hashes = {p.name: sha256_file(p) for p in folder.iterdir()}
    monkeypatch.setattr(manifest, "official_manifest", lambda variant="1b": dict(hashes))
    monkeypatch.setattr(download, "official_manifest", lambda variant="1b": dict(hashes))
    return folder


def test_download_shows_progress_and_sets_the_model(qtbot, tmp_path, release):
    settings = AppSettings.load(tmp_path / "settings.json")
    dest = tmp_path / "models" / "HumanAesExpert-1B"
    setup = ModelSetupDialog(
        settings, download_source=LocalFolderSource(release, chunk_size=8192), download_dest=dest
    )
    qtbot.addWidget(setup)
    setup.show()
    with qtbot.waitSignal(setup.model_chosen, timeout=20_000):
        dialog = setup.start_download()
    assert dialog.installed_path == dest.resolve()
    # the weights come last; the user saw them arrive byte by byte up to their full size
    assert dialog.file_label.text() == "model.safetensors: 262 kB of 262 kB"
    assert dialog.overall_bar.value() == dialog.overall_bar.maximum()
    assert dialog.file_bar.value() == 1000
    assert AppSettings.load(tmp_path / "settings.json").model_dir == str(dest.resolve())
    assert manifest.verify_model_folder(dest).kind == "official"


def test_cancel_pauses_and_resume_finishes(qtbot, tmp_path, release):
    reached_weights = threading.Event()
    release_gate = threading.Event()

    def on_chunk(name, offset):
        if name == "model.safetensors" and offset >= 64 * 1024:
            reached_weights.set()
            release_gate.wait(10)

    dest = tmp_path / "models" / "m"
    source = LocalFolderSource(release, chunk_size=8192, on_chunk=on_chunk)
    dialog = DownloadDialog(dest=dest, source=source)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(reached_weights.is_set, timeout=20_000)
    dialog.cancel_button.click()  # the user presses Cancel mid-file
    assert dialog.status_label.text() == "Stopping…" and dialog.isVisible()
    release_gate.set()
    qtbot.waitUntil(lambda: dialog.error is not None, timeout=20_000)
    assert isinstance(dialog.error, DownloadCancelled)
    assert "Resume" in dialog.status_label.text() and dialog.retry_button.isVisible()
    assert not dest.exists()  # nothing half-installed
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.retry_button.click()
    assert dialog.installed_path == dest.resolve()
    assert (dest / "model.safetensors").read_bytes() == (release / "model.safetensors").read_bytes()


def test_offline_gives_a_clear_error(qtbot, tmp_path, release):
    # Port 9 on loopback: nothing listens, the connection is refused at once (no network used).
    hub = HubSource("KlingTeam/HumanAesExpert-1B", "b8f7ee3", endpoint="http://127.0.0.1:9")
    dialog = DownloadDialog(dest=tmp_path / "m", source=hub)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.error is not None, timeout=20_000)
    assert dialog.status_label.text().startswith("No internet connection")
    assert dialog.retry_button.text() == "Try again" and dialog.cancel_button.text() == "Close"
    # The dialog grew to its message: every wrapped line is shown, none clipped.
    label = dialog.status_label
    assert label.height() >= label.heightForWidth(label.width())
    assert label.geometry().bottom() < dialog.buttons.geometry().top()
    assert not dialog.file_bar.isVisible()  # no bytes came: no empty progress bars


def test_human_bytes():
    assert human_bytes(1_876_417_886) == "1.9 GB"
    assert human_bytes(512) == "512 B"
    assert human_bytes(None) == "?"
