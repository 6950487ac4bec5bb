"""Which precision `auto` picks on this CPU, as measured once and remembered (torch-free).

CPUs differ: with AMX or AVX512-BF16, bf16 matrix products run several times faster than fp32;
on AVX2-only CPUs bf16 is emulated and several times slower. So `auto` on CPU measures instead
of assuming (gemm_probe.py, under a second, the first time a model loads) and picks bf16 where
it is at least BF16_SPEEDUP_NEEDED times faster than fp32. The verdict is kept per CPU model and
torch version in the user data dir and measured again when either changes.

This module only reads and writes that record, so the Settings dialog can show it without
importing torch. HUMANAES_CPU_DTYPE=fp32|bf16 skips the measurement (reproducible runs, tests).
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from humanaes_desktop.engine.store.records import read_record, write_record
from humanaes_desktop.paths import data_dir

RECORD = "cpu-dtype.json"
BF16_SPEEDUP_NEEDED = 1.5
OVERRIDE_ENV = "HUMANAES_CPU_DTYPE"
CPU_DTYPES = ("fp32", "bf16")


@dataclass(frozen=True)
class CpuDtypeVerdict:
    """The GEMM rates measured on one CPU with one torch, and the precision they chose."""

    cpu: str
    torch: str
    fp32_gflops: float
    bf16_gflops: float
    dtype: str
    threads: int
    measured_at: float

    @property
    def bf16_speedup(self) -> float:
        """bf16's rate over fp32's (above 1: bf16 is faster)."""
        return self.bf16_gflops / self.fp32_gflops if self.fp32_gflops > 0 else 0.0

    def describe(self) -> str:
        """E.g. "measured bf16 412 GFLOP/s vs fp32 160 GFLOP/s (2.58x) with 2 thread(s)"."""
        return (
            f"measured bf16 {self.bf16_gflops:.0f} GFLOP/s vs fp32 "
            f"{self.fp32_gflops:.0f} GFLOP/s ({self.bf16_speedup:.2f}x) with {self.threads} "
            f"thread(s)"
        )


def choose(fp32_gflops: float, bf16_gflops: float) -> str:
    """bf16 where it is at least BF16_SPEEDUP_NEEDED times faster than fp32, else fp32."""
    return "bf16" if bf16_gflops >= BF16_SPEEDUP_NEEDED * fp32_gflops > 0 else "fp32"


def override() -> str | None:
    """The precision HUMANAES_CPU_DTYPE fixes for `auto` on CPU, if set to a valid one."""
    value = os.environ.get(OVERRIDE_ENV, "").strip().lower()
    return value if value in CPU_DTYPES else None


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo; elsewhere what the platform reports)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def torch_version() -> str:
    """The installed torch's version, read without importing torch."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "unknown"


def _record_path() -> Path:
    return data_dir() / RECORD


def _key(cpu: str, torch: str) -> str:
    return f"{cpu} | torch {torch}"


def cached_verdict() -> CpuDtypeVerdict | None:
    """The verdict measured on this CPU model with this torch version, if any."""
    entry = read_record(_record_path()).get(_key(cpu_model(), torch_version()))
    if not isinstance(entry, dict):
        return None
    try:
        verdict = CpuDtypeVerdict(**entry)
    except TypeError:
        return None  # written by another version of this record: measure again
    return verdict if verdict.dtype in CPU_DTYPES else None


def remember(fp32_gflops: float, bf16_gflops: float, threads: int) -> CpuDtypeVerdict:
    """Record a measurement for this CPU and torch; returns the verdict it gives."""
    verdict = CpuDtypeVerdict(
        cpu=cpu_model(),
        torch=torch_version(),
        fp32_gflops=round(fp32_gflops, 1),
        bf16_gflops=round(bf16_gflops, 1),
        dtype=choose(fp32_gflops, bf16_gflops),
        threads=threads,
        measured_at=time.time(),
    )
    path = _record_path()
    data = read_record(path)
    data[_key(verdict.cpu, verdict.torch)] = asdict(verdict)
    write_record(path, data)
    return verdict
