"""Download and install the official model: pinned revision, resumable, verified, atomic.

Files go into a hidden staging folder beside the destination (`.NAME.partial`); a file being
fetched is `NAME.part` and resumes from its size; a file is renamed to its real name only after
its SHA-256 matched the shipped manifest; the whole staging folder is renamed into place only when
every file is there. An interrupted or cancelled download therefore never leaves a half model
where the app looks for models, and the next attempt continues where it stopped.

The bytes come from a `ModelSource`: the Hugging Face hub by default, or anything with the same
`open(name, offset)` method (tests serve a local folder). This module must not import torch: the
GUI imports it to show download progress.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from humanaes_desktop.engine.store import known_folders
from humanaes_desktop.engine.store.manifest import (
    is_weights_file,
    official_manifest,
    official_model,
    verify_model_folder,
)
from humanaes_desktop.errors import UserError
from humanaes_desktop.paths import models_dir

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
OFFLINE_HINT = (
    "download it on a connected machine (`humanaes model download --dest DIR`), copy the folder "
    "here and check it with `humanaes model verify DIR`"
)


class ModelDownloadError(UserError):
    """The model could not be downloaded or installed; the message says why and what to do."""


class DownloadCancelled(UserError):
    """The user cancelled; the partial files are kept and the next download resumes."""


@dataclass(frozen=True)
class DownloadProgress:
    """Plain progress data for a callback (called from the downloading thread)."""

    file: str
    file_done: int  # bytes of this file on disk so far
    file_total: int | None  # size of this file, when the source said so
    files_done: int  # files complete before this one
    files_total: int
    bytes_received: int  # bytes fetched in this run (excludes what was resumed)


class ModelSource(Protocol):
    """Where model files come from."""

    def open(self, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        """The file's total size and an iterator over its bytes from `offset` on."""
        ...


class LocalFolderSource:
    """Serves files from a local folder (a USB copy, or tests), in chunks."""

    def __init__(
        self,
        folder: Path,
        *,
        chunk_size: int = _CHUNK,
        on_chunk: Callable[[str, int], None] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.chunk_size = chunk_size
        self.on_chunk = on_chunk  # called before each chunk is handed out (name, offset)

    def open(self, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        path = self.folder / name
        try:
            total = path.stat().st_size
        except OSError as exc:
            raise ModelDownloadError(f"{path} cannot be read: {exc.strerror}") from exc
        return total, self._chunks(path, name, offset)

    def _chunks(self, path: Path, name: str, offset: int) -> Iterator[bytes]:
        with open(path, "rb") as fh:
            fh.seek(offset)
            position = offset
            while True:
                if self.on_chunk:
                    self.on_chunk(name, position)
                chunk = fh.read(self.chunk_size)
                if not chunk:
                    return
                position += len(chunk)
                yield chunk

    def __str__(self) -> str:
        return str(self.folder)


class HubSource:
    """Files of one pinned revision of a Hugging Face repository, fetched with HTTP ranges."""

    def __init__(
        self, repo: str, revision: str, *, endpoint: str | None = None, timeout: float = 30.0
    ) -> None:
        self.repo = repo
        self.revision = revision
        self.endpoint = endpoint
        self.timeout = timeout

    def open(self, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        import requests
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers

        url = hf_hub_url(self.repo, name, revision=self.revision, endpoint=self.endpoint)
        headers = build_hf_headers()
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = requests.get(url, headers=headers, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ModelDownloadError(
                f"no internet connection, or the model hub cannot be reached ({type(exc).__name__}); "
                + OFFLINE_HINT
            ) from exc
        if response.status_code == 416:  # nothing left to fetch
            response.close()
            return offset, iter(())
        if response.status_code not in (200, 206):
            response.close()
            raise ModelDownloadError(
                f"the model hub answered HTTP {response.status_code} for {name} of "
                f"{self.repo}@{self.revision[:12]}; try again later or " + OFFLINE_HINT
            )
        return self._sized(response, offset)

    def _sized(self, response, offset: int) -> tuple[int, Iterator[bytes]]:
        length = int(response.headers.get("Content-Length", 0))
        if response.status_code == 206:
            total = int(response.headers.get("Content-Range", "/0").rsplit("/", 1)[-1] or 0)
            return total or offset + length, self._stream(response, skip=0)
        # The server ignored the range: skip what we already have.
        return length, self._stream(response, skip=offset)

    def _stream(self, response, skip: int) -> Iterator[bytes]:
        import requests

        try:
            for chunk in response.iter_content(_CHUNK):
                if skip:
                    cut = min(skip, len(chunk))
                    chunk, skip = chunk[cut:], skip - cut
                if chunk:
                    yield chunk
        except requests.RequestException as exc:
            raise ModelDownloadError(
                f"the connection to the model hub broke ({type(exc).__name__}); run the download "
                "again to resume"
            ) from exc
        finally:
            response.close()

    def __str__(self) -> str:
        return f"{self.repo}@{self.revision[:12]}"


def default_destination(variant: str = "1b") -> Path:
    """Where `download_model` installs a variant when no destination is given."""
    return models_dir() / official_model(variant).folder_name


def staging_folder(dest: Path) -> Path:
    """The hidden folder beside `dest` that holds a download in progress."""
    return dest.parent / f".{dest.name}.partial"


def download_model(
    variant: str = "1b",
    dest: Path | str | None = None,
    *,
    progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    source: ModelSource | None = None,
) -> Path:
    """Fetch, verify and install an official model; returns the installed folder."""
    model = official_model(variant)
    expected = official_manifest(variant)
    target = Path(dest).expanduser().resolve() if dest else default_destination(variant)
    if target.exists():
        return _already_installed(target)
    source = source or HubSource(model.repo, model.revision)
    staging = staging_folder(target)
    staging.mkdir(parents=True, exist_ok=True)
    order = sorted(expected, key=lambda n: (is_weights_file(n), n))
    received = 0
    for index, name in enumerate(order):
        received = _fetch_file(
            source, staging, name, expected[name], (index, len(order), received), progress, cancel
        )
    _install(staging, target)
    for name in order:
        if is_weights_file(name):
            known_folders.remember_weights_hash(target, name, expected[name])
    log.info("installed %s@%s into %s", model.repo, model.revision, target)
    return target


def _already_installed(target: Path) -> Path:
    try:
        verify_model_folder(target)
    except UserError as exc:
        raise ModelDownloadError(
            f"{target} already exists and is not a verified copy of the model ({exc}); "
            "remove it or choose another --dest"
        ) from exc
    log.info("%s is already installed and verified", target)
    return target


def _fetch_file(
    source: ModelSource,
    staging: Path,
    name: str,
    digest: str,
    counts: tuple[int, int, int],
    progress: Callable[[DownloadProgress], None] | None,
    cancel: threading.Event | None,
) -> int:
    """Fetch one file into staging (resuming), verify it, rename it final; returns bytes so far."""
    index, count, received = counts
    final = staging / name
    if final.exists():  # verified in an earlier run
        return received
    part = staging / f"{name}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    hasher, offset = _hash_existing(part)
    total, chunks = source.open(name, offset)
    if offset > total:
        part.unlink()
        raise ModelDownloadError(f"partial {name} is longer than the file; run again to restart")
    done = offset
    with open(part, "ab") as fh:
        for chunk in chunks:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("download cancelled; run it again to resume")
            fh.write(chunk)
            hasher.update(chunk)
            done += len(chunk)
            received += len(chunk)
            if progress:
                progress(DownloadProgress(name, done, total, index, count, received))
        fh.flush()
        os.fsync(fh.fileno())
    _finish_file(part, final, name, digest, hasher.hexdigest(), done, total, source)
    return received


def _hash_existing(part: Path) -> tuple[Any, int]:
    hasher = hashlib.sha256()
    if not part.exists():
        return hasher, 0
    with open(part, "rb") as fh:
        while chunk := fh.read(4 * _CHUNK):
            hasher.update(chunk)
    return hasher, part.stat().st_size


def _finish_file(
    part: Path,
    final: Path,
    name: str,
    digest: str,
    actual: str,
    done: int,
    total: int,
    source: object,
) -> None:
    if done != total:
        raise ModelDownloadError(
            f"{name} stopped at {done} of {total} bytes; run the download again to resume"
        )
    if actual != digest:
        part.unlink()
        raise ModelDownloadError(
            f"{name} from {source} does not match the pinned SHA-256 (got {actual[:12]}…, "
            f"expected {digest[:12]}…); the damaged file was removed, run the download again"
        )
    os.replace(part, final)


def _install(staging: Path, target: Path) -> None:
    """Move the complete, verified staging folder into place in one rename."""
    leftovers = sorted(p.name for p in staging.rglob("*.part"))
    if leftovers:
        raise ModelDownloadError(f"download incomplete ({leftovers[0]}); run it again")
    try:
        os.replace(staging, target)
    except OSError as exc:
        raise ModelDownloadError(f"cannot install the model into {target}: {exc}") from exc
