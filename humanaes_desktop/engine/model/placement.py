"""Where and in which precision the model runs: device and dtype resolution.

`--device auto` picks CUDA, then Apple MPS, then CPU. `--dtype auto` is fp16 on a GPU; on CPU it
is the faster of fp32 and bf16 as measured on this machine (gemm_probe.py, dtype_choice.py).
"""

from __future__ import annotations

import logging

import torch

from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "fp16": torch.float16,
    "bf16": torch.bfloat16,
}
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
DTYPE_CHOICES = ("auto", *DTYPES)


class DeviceUnavailableError(UserError):
    """The requested device or device/dtype combination cannot be used on this machine."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(requested: str = "auto") -> str:
    """ "auto" picks CUDA, then Apple MPS, then CPU; an explicit device must be usable."""
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if _mps_available() else "cpu"
    if requested == "cpu":
        return "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(
                "--device cuda was requested but no CUDA GPU is usable here "
                f"(torch {torch.__version__}); use --device cpu or auto"
            )
        return _checked_cuda_index(requested)
    if requested == "mps":
        if not _mps_available():
            raise DeviceUnavailableError(
                "--device mps was requested but Apple MPS is not available; use --device auto"
            )
        return "mps"
    raise DeviceUnavailableError(
        f"unknown device {requested!r}; choose one of {', '.join(DEVICE_CHOICES)}"
    )


def _checked_cuda_index(requested: str) -> str:
    """ "cuda" or "cuda:N" with N naming a GPU that exists."""
    if requested == "cuda":
        return requested
    index = requested.partition(":")[2]
    count = torch.cuda.device_count()
    if requested[4:5] != ":" or not index.isdigit() or int(index) >= count:
        raise DeviceUnavailableError(
            f"device {requested!r} does not exist here; this machine has {count} CUDA GPU(s), "
            "use cuda or cuda:0 .. cuda:N-1"
        )
    return requested


def resolve_dtype(requested: str, device: str) -> str:
    """ "auto" is fp16 on a GPU; on CPU the faster of fp32 and bf16, as measured (gemm_probe)."""
    return choose_dtype(requested, device)[0]


def choose_dtype(requested: str, device: str) -> tuple[str, str]:
    """(dtype, a phrase saying why) for the requested precision on `device`."""
    if requested == "auto":
        if device != "cpu":
            return "fp16", "fp16 (auto on a GPU)"
        from humanaes_desktop.engine.model.gemm_probe import auto_cpu_dtype

        dtype, _verdict, why = auto_cpu_dtype()
        return dtype, f"{dtype} (auto: {why})"
    if requested not in DTYPES:
        raise DeviceUnavailableError(
            f"unknown dtype {requested!r}; choose one of {', '.join(DTYPE_CHOICES)}"
        )
    if requested == "bf16" and device.startswith("cuda") and not torch.cuda.is_bf16_supported():
        raise DeviceUnavailableError("this GPU does not support bf16; use --dtype fp16 or auto")
    if device == "cpu" and requested != "fp32":
        _warn_if_measured_slower(requested)
    return requested, f"{requested} (chosen explicitly)"


def _warn_if_measured_slower(requested: str) -> None:
    from humanaes_desktop.engine.model.dtype_choice import cached_verdict

    verdict = cached_verdict()
    if requested == "fp16":
        log.warning("fp16 on CPU is emulated by most CPUs and usually slower than fp32 or bf16")
    elif verdict is not None and verdict.bf16_speedup < 1.0:
        log.warning(
            "bf16 was measured slower than fp32 on this CPU (%s); --dtype auto picks fp32",
            verdict.describe(),
        )
