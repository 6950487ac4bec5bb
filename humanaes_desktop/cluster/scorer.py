"""The scorer a cluster job runs in each of its actors, and the stage that reads the files.

`read_files` (a stateless Ray task) turns manifest rows into rows with the file's bytes: what
travels through Ray's object store is compressed file content, never decoded pixels (a 24 MP
JPEG is ~8 MB as a file and ~72 MB decoded). A file that cannot be read becomes a row that
says why, so one bad path never fails the job (Ray Data retries nothing by default).

`Scorer` (a stateful Ray actor) loads the model once, through the same verified
`HumanAesExpert.load` as the desktop, then for each batch fingerprints the bytes with the
library's own function, decodes them with the engine's decoder (a small thread pool decodes
the next photos while the model runs) and calls the same `assess()`; with vision batching on
(the default on CUDA) several photos' tiles share one vision forward. Every photo gives exactly
one row: a result, or an error code with a reason. Nothing here imports Ray, so the scorer is
tested and benchmarked as a plain class too.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from humanaes_desktop.cluster.results import Producer, error_row, rows_to_table, success_row
from humanaes_desktop.engine.assessment import Assessment, PreprocessProfile
from humanaes_desktop.errors import UserError, error_code
from humanaes_desktop.library.files import fingerprint_bytes

log = logging.getLogger(__name__)

READ_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("library_path", pa.string()),
        ("manifest_fingerprint", pa.string()),
        ("data", pa.binary()),
        ("read_error", pa.string()),
        ("read_reason", pa.string()),
        ("read_s", pa.float64()),
    ]
)
_model_loads = 0  # in this process: one per actor, unless the actor was restarted


def read_files(batch: dict[str, np.ndarray]) -> pa.Table:
    """Manifest rows -> rows with each file's bytes (or why it could not be read)."""
    rows: dict[str, list] = {name: [] for name in READ_SCHEMA.names}
    for path, library_path, print_ in zip(
        batch["path"], batch["library_path"], batch["fingerprint"], strict=True
    ):
        start = time.perf_counter()
        data, code, reason = _read(str(path))
        for name, value in zip(
            READ_SCHEMA.names,
            (str(path), str(library_path), str(print_), data, code, reason),
            strict=False,
        ):
            rows[name].append(value)
        rows["read_s"].append(time.perf_counter() - start)
    return pa.table(rows, schema=READ_SCHEMA)


def _read(path: str) -> tuple[bytes | None, str | None, str | None]:
    try:
        with open(path, "rb") as handle:
            return handle.read(), None, None
    except FileNotFoundError:
        return None, "not_found", f"{path} does not exist on this node (check --path-map)"
    except IsADirectoryError:
        return None, "unreadable_image", f"{path} is a folder"
    except OSError as exc:
        return None, "unreadable_file", f"{path}: {exc.strerror or exc}"


@dataclass(frozen=True)
class ScorerOptions:
    """What every actor needs to load the model and score (plain values: Ray pickles them)."""

    model_dir: str
    profile: dict[str, Any]  # PreprocessProfile fields
    run_id: str
    expected_model_key: str | None = None  # the manifest's model; another one is refused
    device: str = "auto"
    dtype: str = "auto"
    trust_model_folder: bool = False
    threads: int | None = None
    annotate: bool = False
    vision_batch_tiles: int | None = None  # None: batch on CUDA only; 0: off
    decode_threads: int = 2


def actor_name() -> str:
    """host:pid, plus the Ray actor id when running in one."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    try:
        import ray

        actor_id = ray.get_runtime_context().get_actor_id() if ray.is_initialized() else None
    except ImportError:
        actor_id = None
    return f"{name}:{actor_id[:8]}" if actor_id else name


class Scorer:
    """A Ray Data callable class: model loaded once in __init__, one batch per __call__."""

    def __init__(self, options: ScorerOptions) -> None:
        global _model_loads
        from humanaes_desktop.engine.model.adapter import HumanAesExpert

        self.options = options
        self.profile = PreprocessProfile(**options.profile)
        self.engine = HumanAesExpert.load(
            options.model_dir,
            device=options.device,
            dtype=options.dtype,
            trust_unknown=options.trust_model_folder,
            threads=options.threads,
        )
        _model_loads += 1
        expected = options.expected_model_key
        if expected is not None and self.engine.identity.key != expected:
            raise UserError(
                f"{options.model_dir} on {socket.gethostname()} is {self.engine.identity.key}, "
                f"but the manifest is for {expected}"
            )
        self.producer = Producer(
            actor_name(), _model_loads, self.engine.load_seconds, options.run_id
        )
        self.batch_tiles = _vision_batch_tiles(options.vision_batch_tiles, self.engine.device)
        self._decoder = ThreadPoolExecutor(max(1, options.decode_threads), "decode")

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        names = list(batch)
        photos = [
            dict(zip(names, values, strict=True)) for values in zip(*batch.values(), strict=True)
        ]
        decoded = self._decoder.map(self._decode, photos)  # decodes ahead of the model
        if self.batch_tiles:
            return rows_to_table(self._score_batched(list(decoded)))
        return rows_to_table(self._score(item) for item in decoded)

    def _decode(self, photo: dict[str, Any]) -> tuple[dict[str, Any], Any, dict[str, float]]:
        """(photo fields, tiles or the error, timings) for one read row."""
        from humanaes_desktop.engine.images.loading import load_pixels

        fields = {
            "path": photo["path"],
            "library_path": photo["library_path"],
            "manifest_fingerprint": photo["manifest_fingerprint"],
        }
        timings = {"read": float(photo["read_s"])}
        data = photo["data"]
        if data is None:
            return fields, _ReadFailure(photo["read_error"], photo["read_reason"]), timings
        data = bytes(data)
        fields.update(fingerprint=fingerprint_bytes(data), size=len(data))
        start = time.perf_counter()
        try:
            pixels = load_pixels(Path(fields["path"]), self.profile, data=data)
        except (UserError, OSError, ValueError, MemoryError) as exc:
            pixels = exc
        timings["decode"] = time.perf_counter() - start
        return fields, pixels, timings

    def _score(self, item: tuple[dict[str, Any], Any, dict[str, float]]) -> dict[str, Any]:
        fields, pixels, timings = item
        if isinstance(pixels, BaseException | _ReadFailure):
            return self._error(fields, pixels, timings)
        try:
            assessment = self.engine.assess(
                pixels, annotate=self.options.annotate, profile=self.profile
            )
        except Exception as exc:  # one photo must not fail the job: it gets an error row
            return self._error(fields, exc, timings)
        return self._success(fields, assessment, timings)

    def _score_batched(self, decoded: list) -> list[dict[str, Any]]:
        from humanaes_desktop.engine.model.batching import assess_batch

        good = [i for i, (_f, px, _t) in enumerate(decoded) if not _failed(px)]
        outcomes = assess_batch(
            self.engine,
            [decoded[i][1] for i in good],
            profile=self.profile,
            annotate=self.options.annotate,
            max_tiles=self.batch_tiles,
        )
        by_index = dict(zip(good, outcomes, strict=True))
        rows = []
        for index, (fields, pixels, timings) in enumerate(decoded):
            outcome = by_index.get(index, pixels)
            if isinstance(outcome, Assessment):
                rows.append(self._success(fields, outcome, timings))
            else:
                rows.append(self._error(fields, outcome, timings))
        return rows

    def _success(self, fields: dict, assessment: Assessment, timings: dict[str, float]) -> dict:
        import dataclasses

        merged = {**assessment.timings, **timings}
        return success_row(fields, dataclasses.replace(assessment, timings=merged), self.producer)

    def _error(self, fields: dict, failure: Any, timings: dict[str, float]) -> dict:
        if isinstance(failure, _ReadFailure):
            code, reason = failure.code, failure.reason
        else:
            code, reason = _describe(failure)
            log.info("%s: %s", fields["path"], reason)
        return error_row(
            fields, code, reason, self.engine.identity, self.profile, self.producer, timings
        )


@dataclass(frozen=True)
class _ReadFailure:
    code: str
    reason: str


def _failed(pixels: Any) -> bool:
    return isinstance(pixels, BaseException | _ReadFailure)


def _describe(exc: BaseException) -> tuple[str, str]:
    """(error code, reason) for what went wrong with one photo."""
    if isinstance(exc, UserError):  # the decoder's errors name the file and the cause
        return error_code(exc), str(exc)
    if type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower():
        _free_accelerator_memory()
        return "out_of_memory", (
            f"out of memory ({exc}); use a smaller --vision-batch-tiles or fewer --max-tiles "
            "in the manifest's profile"
        )
    return "scoring_failed", f"{type(exc).__name__}: {exc}"


def _free_accelerator_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _vision_batch_tiles(requested: int | None, device: str) -> int:
    from humanaes_desktop.engine.model.batching import DEFAULT_TILES_PER_BATCH

    if requested is None:
        return DEFAULT_TILES_PER_BATCH if device.startswith("cuda") else 0
    return max(0, int(requested))
