"""HubSource over real HTTP on loopback: range requests, resume, errors (no internet needed)."""

from __future__ import annotations

import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from humanaes_desktop.engine.store import download, manifest
from humanaes_desktop.engine.store.download import (
    DownloadCancelled,
    HubSource,
    ModelDownloadError,
    download_model,
    staging_folder,
)
from humanaes_desktop.engine.store.manifest import sha256_file

REPO = "KlingTeam/HumanAesExpert-1B"
REVISION = "b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def release(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "release"
    folder.mkdir()
    for name in manifest.official_manifest("1b"):
        (folder / name).write_bytes(f"contents of {name}\n".encode())
    (folder / "config.json").write_text('{"model_type": "internvl_chat"}')
    (folder / "model.safetensors").write_bytes(os.urandom(3 * 1024 * 1024))
    hashes = {p.name: sha256_file(p) for p in folder.iterdir()}
    monkeypatch.setattr(manifest, "official_manifest", lambda variant="1b": dict(hashes))
    monkeypatch.setattr(download, "official_manifest", lambda variant="1b": dict(hashes))
    return folder


class FakeHub:
    """Serves /<repo>/resolve/<revision>/<file> from a folder, honouring Range like the hub."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: list[tuple[str, str | None]] = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                hub.requests.append((self.path, self.headers.get("Range")))
                prefix = f"/{REPO}/resolve/{REVISION}/"
                path = hub.folder / self.path[len(prefix) :]
                if not self.path.startswith(prefix) or not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                start = int(match.group(1)) if match else 0
                if start >= len(data) and match:
                    self.send_response(416)
                    self.end_headers()
                    return
                self.send_response(206 if match else 200)
                if match:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def hub(release):
    fake = FakeHub(release)
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    fake.thread.join(timeout=10)


def test_hub_download_installs_verified_files(hub, release, tmp_path):
    dest = tmp_path / "m"
    installed = download_model(dest=dest, source=HubSource(REPO, REVISION, endpoint=hub.endpoint))
    assert sha256_file(installed / "model.safetensors") == sha256_file(
        release / "model.safetensors"
    )
    assert len(hub.requests) == 16 and all(r is None for _, r in hub.requests)


def test_hub_download_resumes_with_a_range_request(hub, release, tmp_path):
    dest = tmp_path / "m"
    cancel = threading.Event()

    def stop_in_weights(p):
        if p.file == "model.safetensors" and p.file_done >= 1024 * 1024:
            cancel.set()

    source = HubSource(REPO, REVISION, endpoint=hub.endpoint)
    with pytest.raises(DownloadCancelled):
        download_model(dest=dest, progress=stop_in_weights, cancel=cancel, source=source)
    kept = (staging_folder(dest) / "model.safetensors.part").stat().st_size
    assert 0 < kept < 3 * 1024 * 1024
    hub.requests.clear()
    download_model(dest=dest, source=source)
    assert hub.requests == [(f"/{REPO}/resolve/{REVISION}/model.safetensors", f"bytes={kept}-")]
    assert sha256_file(dest / "model.safetensors") == sha256_file(release / "model.safetensors")


def test_missing_file_on_the_hub_is_a_clear_error(hub, release, tmp_path):
    (release / "merges.txt").unlink()
    with pytest.raises(ModelDownloadError, match="HTTP 404 for merges.txt"):
        download_model(dest=tmp_path / "m", source=HubSource(REPO, REVISION, endpoint=hub.endpoint))
