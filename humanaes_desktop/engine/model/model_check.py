"""`humanaes model check`: does every speed trick hold on this model, on this machine?

Runs the engine's `assess()` (reuse, SDPA attention, the chosen dtype) on one photo, then the
reference code's plain call sequence (score, run_metavoter, expert_score) on the model's own
attention code, and reports the difference per field next to the reuse counters, the attention
backend, the dtype and the timings. It is the command a user with the real model runs to see
that what the synthetic model's tests show also holds on the real code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from humanaes_desktop.engine.assessment import Assessment, PreprocessProfile
from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.engine.model.attention.swap import PARTS, PartAttention
from humanaes_desktop.engine.model.speedups import attention_check_name
from humanaes_desktop.engine.model.verdicts import PREFIX_REUSE

FP32_TOLERANCE = 1e-3  # on scores in [0, 1]; two orders of summation agree to ~1e-6
HALF_TOLERANCE = 2e-2  # bf16/fp16 keep ~3 significant digits through 48 layers


@dataclass(frozen=True)
class FieldDifference:
    """One score as the engine gives it and as the plain reference calls give it."""

    name: str
    engine: float
    reference: float

    @property
    def difference(self) -> float:
        return abs(self.engine - self.reference)


@dataclass(frozen=True)
class ModelCheckReport:
    """Everything `humanaes model check` prints."""

    assessment: Assessment
    fields: list[FieldDifference]
    tolerance: float
    reference_seconds: float
    reuse: dict[str, float]
    attention_parts: dict[str, PartAttention]
    dtype_note: str
    verdicts: dict[str, str] = field(default_factory=dict)

    @property
    def max_difference(self) -> float:
        return max(f.difference for f in self.fields)

    @property
    def agrees(self) -> bool:
        """The engine's scores match the plain calls within the dtype's tolerance."""
        return self.max_difference <= self.tolerance


def run_model_check(
    engine: Any, pixels: torch.Tensor, profile: PreprocessProfile
) -> ModelCheckReport:
    """Assess `pixels` with the engine, then with the plain reference calls; compare."""
    assessment = engine.assess(pixels, profile=profile)
    reuse = engine.reuse_stats.as_dict()
    start = time.perf_counter()
    reference = engine.reference_full_sequence(pixels, own_attention=True)
    reference_seconds = time.perf_counter() - start
    fields = [
        FieldDifference("overall (MetaVoter)", assessment.overall, reference.overall),
        FieldDifference("fast score", assessment.fast_score, reference.fast_score),
        *(
            FieldDifference(key, assessment.dimensions[key], reference.dimensions[key])
            for key in DIMENSION_KEYS
        ),
    ]
    speedups = engine.speedups
    return ModelCheckReport(
        assessment=assessment,
        fields=fields,
        tolerance=FP32_TOLERANCE if engine.dtype == "fp32" else HALF_TOLERANCE,
        reference_seconds=reference_seconds,
        reuse=reuse,
        attention_parts=dict(speedups.swap.parts),
        dtype_note=engine.dtype_note,
        verdicts=_verdicts(speedups),
    )


def _verdicts(speedups: Any) -> dict[str, str]:
    names = [attention_check_name(part) for part in PARTS] + [PREFIX_REUSE]
    out = {}
    for name in names:
        verdict = speedups.store.get(name) if speedups.store is not None else None
        if verdict is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(verdict.checked_at))
            state = "ok" if verdict.ok else "FAILED"
            out[name] = f"{state} ({when}): {verdict.detail}"
    return out
