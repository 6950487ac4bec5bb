"""Install SDPA attention on one loaded model's instances (never its classes), and take it out.

Two parts, each swapped on its own seams:
- vision: `_naive_attn` on every InternAttention-style module of `model.vision_model`
  (vision.py);
- language: `forward` on every eager attention module of `model.language_model` plus the
  language model's `config._attn_implementation` (language.py).

A part that cannot be swapped keeps the model's own attention and says why (`parts`). A part
can be switched back to the model's own code for good (`switch_off`, after a failed self-check)
or for a moment (`originals`, to compute the reference the self-check compares with).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import MethodType
from typing import Any

import torch
from torch import nn

from humanaes_desktop.engine.model.attention.language import SDPA, language_attention
from humanaes_desktop.engine.model.attention.vision import (
    sdpa_naive_attn,
    uses_flash_attention,
    vision_attention_modules,
)

log = logging.getLogger(__name__)

VISION = "vision"
LANGUAGE = "language"
PARTS = (VISION, LANGUAGE)
EAGER = "eager"
FLASH = "flash-attn"
OWN = "model's own"  # a layout we do not recognise: whatever the model's code does

VisionKernel = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass
class PartAttention:
    """Which attention one part of the model runs, on how many modules, and why."""

    backend: str
    modules: int = 0
    note: str = ""


@dataclass
class _Seam:
    obj: Any
    name: str
    new: Any
    previous: Any
    in_dict: bool  # set in the instance __dict__ (methods) rather than through setattr (config)

    def undo(self) -> None:
        if not self.in_dict:
            setattr(self.obj, self.name, self.previous)
        elif self.previous is None:
            self.obj.__dict__.pop(self.name, None)
        else:
            self.obj.__dict__[self.name] = self.previous

    def redo(self) -> None:
        if self.in_dict:
            self.obj.__dict__[self.name] = self.new
        else:
            setattr(self.obj, self.name, self.new)


@dataclass
class VisionCheck:
    """A one-call comparison per module: the reference (the model's own `_naive_attn`) is
    what the module returns while it is pending, so a wrong kernel never reaches a score."""

    pending: set[int]
    record: Callable[[nn.Module, torch.Tensor, torch.Tensor], None]
    seen: int = 0


@dataclass
class AttentionSwap:
    """The attention swap of one loaded model."""

    model: Any
    vision_kernel: VisionKernel = sdpa_naive_attn
    parts: dict[str, PartAttention] = field(default_factory=dict)
    vision_check: VisionCheck | None = None
    _seams: dict[str, list[_Seam]] = field(default_factory=lambda: {p: [] for p in PARTS})

    def install(self, parts: tuple[str, ...] = PARTS, off: dict[str, str] | None = None) -> None:
        """Swap the given parts; `off` maps parts to keep as they are to the reason why."""
        off = off or {}
        for part in PARTS:
            if part in off or part not in parts:
                self.parts[part] = self._unswapped(part, off.get(part, "not requested"))
            elif part == VISION:
                self._install_vision()
            else:
                self._install_language()

    def swapped(self, part: str) -> bool:
        """True while `part` runs the SDPA kernel installed here."""
        return bool(self._seams[part])

    def modules(self, part: str) -> list[nn.Module]:
        """The modules whose attention is swapped now."""
        return [s.obj for s in self._seams[part] if isinstance(s.obj, nn.Module)]

    @property
    def backend(self) -> str:
        """One word when both parts agree ("sdpa"), else "vision sdpa, language eager"."""
        vision, language = self.parts[VISION].backend, self.parts[LANGUAGE].backend
        return vision if vision == language else f"vision {vision}, language {language}"

    def switch_off(self, part: str, reason: str) -> None:
        """Put the model's own attention back for `part`, for the life of this model."""
        for seam in reversed(self._seams[part]):
            seam.undo()
        self._seams[part].clear()
        self.parts[part] = PartAttention(EAGER, 0, reason)
        log.warning("%s attention: SDPA switched off, back to the model's own (%s)", part, reason)

    @contextlib.contextmanager
    def originals(self, part: str) -> Iterator[None]:
        """The model's own attention for `part` inside the block; the swap again after it."""
        seams = self._seams[part]
        for seam in reversed(seams):
            seam.undo()
        try:
            yield
        finally:
            for seam in seams:
                seam.redo()

    # -- the parts ------------------------------------------------------------------------------
    def _unswapped(self, part: str, reason: str) -> PartAttention:
        if part == VISION:
            modules = vision_attention_modules(self.model)
            flash = bool(modules) and all(uses_flash_attention(m) for m in modules)
            return PartAttention(FLASH if flash else EAGER if modules else OWN, 0, reason)
        found = language_attention(getattr(self.model, "language_model", None))
        return PartAttention(_language_backend(found.implementation), 0, reason)

    def _install_vision(self) -> None:
        modules = vision_attention_modules(self.model)
        eager = [m for m in modules if not uses_flash_attention(m)]
        if not modules:
            note = "no InternAttention-style module (_naive_attn, qkv, proj) in vision_model"
            self.parts[VISION] = PartAttention(OWN, 0, note)
            return
        if not eager:
            self.parts[VISION] = PartAttention(FLASH, 0, "the model uses flash-attn")
            return
        for module in eager:
            own: Any = type(module)  # the model's InternAttention class (untyped code)
            original = own._naive_attn.__get__(module)
            self._put(VISION, module, "_naive_attn", self._vision_seam(module, original))
        self.parts[VISION] = PartAttention(SDPA, len(eager))

    def _vision_seam(self, module: nn.Module, original: Callable) -> Callable:
        kernel = self.vision_kernel

        def _naive_attn(x: torch.Tensor) -> torch.Tensor:
            check = self.vision_check
            if check is not None and id(module) in check.pending:
                check.pending.discard(id(module))
                check.seen += 1
                reference = original(x)
                check.record(module, reference, kernel(module, x))
                return reference
            return kernel(module, x)

        return _naive_attn

    def _install_language(self) -> None:
        lm = getattr(self.model, "language_model", None)
        found = language_attention(lm)
        if found.implementation != EAGER or not found.swappable:
            note = (
                "the model's own choice"
                if found.implementation not in (EAGER, "unknown")
                else "no eager attention class with an SDPA sibling in the model's code"
            )
            self.parts[LANGUAGE] = PartAttention(_language_backend(found.implementation), 0, note)
            return
        assert lm is not None  # swappable modules were found in it
        for module, sdpa in found.swappable:
            self._put(LANGUAGE, module, "forward", MethodType(sdpa.forward, module))
        note = ""
        if found.unmatched:
            note = f"{found.unmatched} attention modules without an SDPA class stay eager"
        else:
            # With every layer on SDPA the model may pass no mask for a plain causal pass.
            self._put(LANGUAGE, lm.config, "_attn_implementation", SDPA, in_dict=False)
        self.parts[LANGUAGE] = PartAttention(SDPA, len(found.swappable), note)

    def _put(self, part: str, obj: Any, name: str, new: Any, *, in_dict: bool = True) -> None:
        previous = obj.__dict__.get(name) if in_dict else getattr(obj, name)
        seam = _Seam(obj, name, new, previous, in_dict)
        seam.redo()
        self._seams[part].append(seam)


def _language_backend(implementation: str) -> str:
    return {
        EAGER: EAGER,
        SDPA: SDPA,
        "flash_attention_2": FLASH,
    }.get(implementation, OWN)
