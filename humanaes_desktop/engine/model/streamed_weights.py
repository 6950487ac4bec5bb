"""Load safetensors weights one tensor at a time, so a dtype conversion never holds two models.

transformers 4.44.2 (`from_pretrained(..., low_cpu_mem_usage=True, torch_dtype=float32)` on the
fp16 checkpoint) reads the *whole* file into memory (`load_state_dict` -> safetensors'
`load_file`, 1.9 GB for the 1B model) and then converts tensor by tensor into the fp32 model
(3.75 GB): both are alive together, ~6.3 GB peak. It only ever walks that state dict with
`keys()` / `items()`, so handing it a mapping that reads each tensor from the file when asked
(plain reads, no mmap whose pages would count as resident) keeps the peak at the fp32 model plus
one fp16 tensor. Model construction, key matching, dtype conversion and tying stay transformers'
own: the loaded parameters are bit-identical.

`streamed_safetensors()` swaps `transformers.modeling_utils.load_state_dict` for the duration of
one load (serialised by a lock); files it cannot read this way go to the original function.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import struct
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)

_DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_MAX_HEADER = 100 * 1024 * 1024  # the format's own limit
_load_lock = threading.Lock()


class UnsupportedSafetensorsError(ValueError):
    """The file is not a safetensors file this reader handles (the original loader takes it)."""


@dataclass(frozen=True)
class _Entry:
    dtype: torch.dtype
    shape: tuple[int, ...]
    start: int  # absolute byte offsets in the file
    end: int


def read_header(path: Path) -> tuple[dict[str, _Entry], dict[str, str]]:
    """The tensors ({name: entry}) and the metadata of a safetensors file."""
    with open(path, "rb") as handle:
        raw_length = handle.read(8)
        if len(raw_length) != 8:
            raise UnsupportedSafetensorsError(f"{path} is too short for a safetensors file")
        (length,) = struct.unpack("<Q", raw_length)
        if length > _MAX_HEADER:
            raise UnsupportedSafetensorsError(f"{path}: header of {length} bytes")
        try:
            header = json.loads(handle.read(length))
        except ValueError as exc:
            raise UnsupportedSafetensorsError(f"{path}: unreadable header ({exc})") from exc
    base = 8 + length
    metadata = header.pop("__metadata__", None) or {}
    entries = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise UnsupportedSafetensorsError(
                f"{path}: tensor {name} has dtype {info.get('dtype')}"
            )
        start, end = info["data_offsets"]
        shape = tuple(int(n) for n in info["shape"])
        if end - start != math.prod(shape) * torch.empty((), dtype=dtype).element_size():
            raise UnsupportedSafetensorsError(f"{path}: tensor {name} has inconsistent offsets")
        entries[name] = _Entry(dtype, shape, base + start, base + end)
    return entries, metadata


class LazySafetensors(MutableMapping):
    """A state dict whose tensors are read from the file on each access and never kept."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._entries, self.metadata = read_header(self.path)
        self._assigned: dict[str, torch.Tensor] = {}  # keys a caller set or renamed

    def __getitem__(self, name: str) -> torch.Tensor:
        if name in self._assigned:
            return self._assigned[name]
        return self._read(self._entries[name])

    def __setitem__(self, name: str, value: torch.Tensor) -> None:
        self._entries.pop(name, None)
        self._assigned[name] = value

    def __delitem__(self, name: str) -> None:
        if name in self._assigned:
            del self._assigned[name]
        else:
            del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        yield from list(self._entries)
        yield from list(self._assigned)

    def __len__(self) -> int:
        return len(self._entries) + len(self._assigned)

    def _read(self, entry: _Entry) -> torch.Tensor:
        flat = torch.empty(math.prod(entry.shape), dtype=entry.dtype)
        if flat.numel():
            target = flat.view(torch.uint8).numpy()
            with open(self.path, "rb") as handle:
                handle.seek(entry.start)
                if handle.readinto(target.data) != entry.end - entry.start:
                    raise OSError(f"{self.path} is truncated")
        return flat.reshape(entry.shape)


@contextlib.contextmanager
def streamed_safetensors() -> Iterator[None]:
    """While active, transformers reads safetensors checkpoints tensor by tensor."""
    from transformers import modeling_utils

    original = modeling_utils.load_state_dict

    def load_state_dict(checkpoint_file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(checkpoint_file).endswith(".safetensors"):
            try:
                state = LazySafetensors(checkpoint_file)
            except UnsupportedSafetensorsError as exc:
                log.info("reading %s whole (%s)", checkpoint_file, exc)
            else:
                if state.metadata.get("format") in ("pt", "mlx"):
                    return state
        return original(checkpoint_file, *args, **kwargs)

    with _load_lock:
        modeling_utils.load_state_dict = load_state_dict
        try:
            yield
        finally:
            modeling_utils.load_state_dict = original
