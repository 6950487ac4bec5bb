"""Keep the model's own Python code importable beside a CPU-only torch build.

InternVL2's vision code (and therefore HumanAesExpert's) does `from timm.models.layers import
DropPath`. timm drags in torchvision, which either is not installed or breaks beside the CPU torch
pin. DropPath is stochastic depth: the identity at inference time. So when timm cannot be
imported we register a minimal stand-in for exactly that one symbol, under the module names the
model code imports, before transformers imports the model code. A working real timm is never
shadowed.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import logging
import sys
import types

import torch
from torch import nn

log = logging.getLogger(__name__)

# Set on every module of the stand-in tree, so a second call recognises its own work.
STAND_IN_MARKER = "__humanaes_timm_stand_in__"
_STAND_IN_MODULES = ("timm", "timm.models", "timm.models.layers")


class DropPath(nn.Module):
    """Stochastic depth per sample (inference-only stand-in for timm's DropPath).

    In eval mode (how the app always runs the model) it returns its input unchanged. In training
    mode it zeroes whole samples with probability `drop_prob` and rescales the survivors, like
    timm's, so the stand-in is not silently wrong if someone fine-tunes with it. It has no
    parameters, so checkpoints load identically with the real or the stand-in class.
    """

    def __init__(self, drop_prob: float = 0.0, scale_by_keep: bool = True) -> None:
        super().__init__()
        self.drop_prob = float(drop_prob)
        self.scale_by_keep = scale_by_keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep_prob = 1.0 - self.drop_prob
        # One Bernoulli draw per sample, broadcast over every other dimension.
        mask_shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        mask = x.new_empty(mask_shape).bernoulli_(keep_prob)
        if keep_prob > 0.0 and self.scale_by_keep:
            mask.div_(keep_prob)
        return x * mask

    def extra_repr(self) -> str:
        return f"drop_prob={round(self.drop_prob, 3):0.3f}"


def _stand_in_installed() -> bool:
    module = sys.modules.get("timm.models.layers")
    return module is not None and getattr(module, STAND_IN_MARKER, False)


def _forget_partial_timm() -> None:
    """Drop half-imported timm modules left behind by a failed import."""
    for name in [n for n in sys.modules if n == "timm" or n.startswith("timm.")]:
        del sys.modules[name]


def _install_stand_in() -> None:
    modules = {name: types.ModuleType(name) for name in _STAND_IN_MODULES}
    for module in modules.values():
        module.__doc__ = "HumanAes Desktop stand-in for timm: only DropPath, inference-only."
        # A spec and an empty __path__ make them proper packages for the import system:
        # importlib.util.find_spec("timm") (transformers probes it) needs __spec__. Without
        # distribution metadata transformers still reports timm as unavailable, which is right.
        module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None, is_package=True)
        module.__path__ = []
        setattr(module, STAND_IN_MARKER, True)
    vars(modules["timm"])["models"] = modules["timm.models"]
    vars(modules["timm.models"])["layers"] = modules["timm.models.layers"]
    vars(modules["timm.models.layers"])["DropPath"] = DropPath
    sys.modules.update(modules)


def ensure_timm_droppath() -> bool:
    """Make `from timm.models.layers import DropPath` work; True when the stand-in is in place.

    Call before importing a model's code. Returns False when a real, importable timm provides
    DropPath (it is left untouched), True when the stand-in was installed now or earlier.
    """
    if _stand_in_installed():
        return True
    try:
        layers = importlib.import_module("timm.models.layers")
        if hasattr(layers, "DropPath"):
            return False
        reason = "timm.models.layers has no DropPath"
    except ImportError as error:
        reason = f"{type(error).__name__}: {error}"
    except (AttributeError, RuntimeError, OSError) as error:
        # A timm that is installed but broken (typically its torchvision import against a
        # mismatched torch) is as unusable as a missing one.
        reason = f"{type(error).__name__}: {error}"
    _forget_partial_timm()
    _install_stand_in()
    log.info("timm unavailable (%s); using the inference-only DropPath stand-in", reason)
    return True
