"""The HumanAesExpert model family behind one adapter: verified loading and the full assessment.

`HumanAesExpert.load(folder)` verifies the folder (manifest.py) before any of its code is
imported, then loads tokenizer and model offline with the authors' settings. `assess(pixels)`
returns the MetaVoter score, the fast score, the 12 dimensions and optionally the annotation,
computing the image's vision features once and never repeating a language-model pass (reuse.py).
`reference_score` / `reference_full_sequence` call the model the reference code's plain way, for benchmarks and tests.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.engine.dimensions import BY_NAME, DIMENSIONS, level_for
from humanaes_desktop.engine.model.heap import release_free_heap, tensors_in_their_own_mappings
from humanaes_desktop.engine.model.placement import (  # noqa: F401 (also the adapter's API)
    DEVICE_CHOICES,
    DTYPE_CHOICES,
    DTYPES,
    DeviceUnavailableError,
    choose_dtype,
    resolve_device,
    resolve_dtype,
)
from humanaes_desktop.engine.model.reuse.session import ReusePolicy, ReuseSession, ReuseStats
from humanaes_desktop.engine.model.speedups import Speedups
from humanaes_desktop.engine.model.verdicts import VerdictStore, verdict_key
from humanaes_desktop.engine.store.manifest import VerifiedFolder, verify_model_folder
from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

# The reference code's question for the fast score (docs/REFERENCE_CODE.md): prompts built from it share their image
# prefix with the model's other prompts, which the reuse relies on.
SEED_QUESTION = "<image>\nRate the aesthetics of this human picture."
ANNOTATION_MAX_NEW_TOKENS = 1024
_REQUIRED_METHODS = ("score", "run_metavoter", "expert_score")


class ModelLoadError(UserError):
    """The verified folder could not be loaded as a HumanAesExpert model."""


class ModelOutputError(RuntimeError):
    """The model returned something that is not a valid score (NaN, wrong shape)."""


@contextlib.contextmanager
def _offline_hub() -> Iterator[None]:
    """Force offline mode while loading: a hub lookup for a local folder hangs ~26 s first.

    huggingface_hub and transformers read HF_HUB_OFFLINE at import time, so their module-level
    flags are switched too, and everything is restored afterwards.
    """
    saved_env = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    patched: list[tuple[Any, str, Any]] = []
    for module_name, attr in (
        ("huggingface_hub.constants", "HF_HUB_OFFLINE"),
        ("transformers.utils.hub", "_is_offline_mode"),
    ):
        with contextlib.suppress(ImportError):
            module = importlib.import_module(module_name)
            if hasattr(module, attr):
                patched.append((module, attr, getattr(module, attr)))
                setattr(module, attr, True)
    try:
        yield
    finally:
        for module, attr, value in patched:
            setattr(module, attr, value)
        if saved_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved_env


def _flash_attention_usable(device: str) -> bool:
    return device.startswith("cuda") and importlib.util.find_spec("flash_attn") is not None


def _importable_path(verified: VerifiedFolder) -> str:
    """The path transformers is given: the folder, or a plain-named alias of it (load_support)."""
    from humanaes_desktop.engine.model.load_support import ALIAS_DIR_NAME, alias_for, needs_alias
    from humanaes_desktop.paths import cache_dir

    if not needs_alias(verified.path):
        return str(verified.path)
    return str(alias_for(verified.path, cache_dir() / ALIAS_DIR_NAME))


def _load_pretrained(
    verified: VerifiedFolder, device: str, dtype: str, stream_weights: bool = True
) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from humanaes_desktop.engine.model.load_support import (
        isolate_remote_code,
        route_transformers_logging,
    )
    from humanaes_desktop.engine.model.streamed_weights import streamed_safetensors
    from humanaes_desktop.engine.model.timm_stand_in import ensure_timm_droppath

    ensure_timm_droppath()
    route_transformers_logging()
    folder = _importable_path(verified)
    isolate_remote_code(folder)
    weights = streamed_safetensors() if stream_weights else contextlib.nullcontext()
    try:
        with _offline_hub():
            tokenizer = AutoTokenizer.from_pretrained(
                folder, trust_remote_code=True, use_fast=False
            )
            with weights, tensors_in_their_own_mappings():
                model = AutoModel.from_pretrained(
                    folder,
                    torch_dtype=DTYPES[dtype],
                    low_cpu_mem_usage=True,
                    trust_remote_code=True,
                    use_flash_attn=_flash_attention_usable(device),
                )
    except (OSError, ValueError, ImportError, KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"the model in {verified.path} could not be loaded ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        return tokenizer, model.eval().to(device)
    except RuntimeError as exc:  # torch.OutOfMemoryError included
        raise ModelLoadError(
            f"the model could not be placed on {device} ({type(exc).__name__}: {exc}); "
            "try --device cpu"
        ) from exc


@dataclass(frozen=True)
class ReferenceResults:
    """What the reference code's plain call sequence returns, as plain numbers."""

    fast_score: float
    overall: float
    dimensions: dict[str, float]


class HumanAesExpert:
    """A loaded, verified HumanAesExpert model. Not thread-safe: one thread owns it."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        verified: VerifiedFolder,
        device: str,
        dtype: str,
        *,
        verdicts: VerdictStore | None = None,
        attention: bool = True,
    ) -> None:
        """`verdicts`: where the self-checks' verdicts are kept (None: checked in every
        process); `attention`: swap in SDPA attention (speedups.py)."""
        self.model = model
        self.tokenizer = tokenizer
        self.verified = verified
        self.identity: ModelIdentity = verified.identity
        self.device = device
        self.dtype = dtype
        self.dtype_note = dtype  # why this dtype (load() says more)
        self.reuse_policy = ReusePolicy()
        self.reuse_stats: ReuseStats | None = None  # of the latest assess()
        self.load_seconds = 0.0
        self.speedups = Speedups(model, self.reuse_policy, verdicts, attention=attention)
        self.speedups.install()

    @classmethod
    def load(
        cls,
        folder: Path | str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        trust_unknown: bool = False,
        threads: int | None = None,
        stream_weights: bool = True,
        attention: bool = True,
    ) -> HumanAesExpert:
        """Verify the folder, then load tokenizer and model (offline) on the chosen device.

        `stream_weights` reads safetensors weights one tensor at a time (streamed_weights.py);
        False is transformers' own whole-file read, kept for the memory benchmark.
        `attention` False keeps the model's own attention code (benchmarks compare both).
        """
        start = time.perf_counter()
        verified = verify_model_folder(folder, trust_unknown=trust_unknown)
        if threads is not None:  # before the dtype probe, which measures at this thread count
            torch.set_num_threads(max(1, int(threads)))
        resolved_device = resolve_device(device)
        resolved_dtype, dtype_note = choose_dtype(dtype, resolved_device)
        log.info("precision %s", dtype_note)
        tokenizer, model = _load_pretrained(
            verified, resolved_device, resolved_dtype, stream_weights
        )
        release_free_heap()
        missing = [name for name in _REQUIRED_METHODS if not callable(getattr(model, name, None))]
        if missing:
            raise ModelLoadError(
                f"{verified.path} loaded, but it lacks the HumanAesExpert method(s) "
                f"{', '.join(missing)}; it is not a HumanAesExpert model"
            )
        verdicts = VerdictStore(verdict_key(verified, resolved_device, resolved_dtype))
        engine = cls(
            model,
            tokenizer,
            verified,
            resolved_device,
            resolved_dtype,
            verdicts=verdicts,
            attention=attention,
        )
        engine.dtype_note = dtype_note
        engine.load_seconds = time.perf_counter() - start
        log.info(
            "loaded %s (%s) on %s/%s with %d torch threads in %.1f s; attention %s",
            engine.label,
            verified.kind,
            resolved_device,
            resolved_dtype,
            torch.get_num_threads(),
            engine.load_seconds,
            engine.attention_backend,
        )
        return engine

    @property
    def attention_backend(self) -> str:
        """What computes attention now ("sdpa", "eager", or one per part)."""
        return self.speedups.attention_backend

    @property
    def label(self) -> str:
        """A short name for status lines; synthetic models say so."""
        name = self.identity.repo.split("/")[-1]
        if self.identity.synthetic:
            return f"{self.identity.repo} (SYNTHETIC)"
        return name

    def _prepare(self, pixels: torch.Tensor) -> torch.Tensor:
        if pixels.dim() != 4 or pixels.shape[1] != 3:
            raise ValueError(f"expected tiles [n, 3, H, W], got {tuple(pixels.shape)}")
        return pixels.to(device=self.device, dtype=DTYPES[self.dtype])

    def assess(
        self,
        pixels: torch.Tensor,
        *,
        annotate: bool = False,
        profile: PreprocessProfile,
        sample: bool = False,
        vision_features: torch.Tensor | None = None,
    ) -> Assessment:
        """Everything the model says about one image (its tiles), with timings and identity.

        `vision_features`: this image's `extract_feature` output, computed beforehand (batching.py
        runs several images' tiles through the vision encoder at once).
        """
        tiles = self._prepare(pixels)
        known = ((tiles, vision_features),) if vision_features is not None else ()
        timings: dict[str, float] = {}
        start = time.perf_counter()
        with (
            torch.inference_mode(),
            self.speedups.checking(timings),
            ReuseSession(self.model, self.reuse_policy, known) as session,
        ):
            fast = _timed(timings, "score", lambda: self._call("score", tiles, SEED_QUESTION))
            overall = _timed(timings, "metavoter", lambda: self._call("run_metavoter", tiles))
            scores, named = _timed(timings, "expert", lambda: self._expert(tiles))
            vision_s, lm_s = session.stats.vision_s, session.stats.lm_s
            annotation = None
            if annotate:
                annotation = _timed(timings, "annotation", lambda: self._annotate(tiles, sample))
            embedding = _embedding(session)
        timings["vision"] = vision_s
        timings["lm"] = lm_s
        calls = timings["score"] + timings["metavoter"] + timings["expert"]
        timings["heads"] = max(0.0, calls - vision_s - lm_s)
        timings["total"] = time.perf_counter() - start
        self.reuse_stats = session.stats
        self.speedups.report_first(self.label, session.stats, self.dtype_note)
        dimensions = self._dimensions(scores, named)
        return Assessment(
            overall=overall,
            fast_score=fast,
            dimensions=dimensions,
            expert_text=expert_text(dimensions),
            annotation=annotation,
            model=self.identity,
            profile=profile,
            device=self.device,
            dtype=self.dtype,
            tiles=int(tiles.shape[0]),
            timings=timings,
            attention=self.attention_backend,
            embedding=embedding,
        )

    def vision_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """The vision encoder's features of `pixels` (tiles of one or several photos), for
        `assess(vision_features=...)`; the attention swap's vision self-check, while still
        owed, rides on this call."""
        with torch.inference_mode(), self.speedups.checking_vision():
            return self.model.extract_feature(self._prepare(pixels))

    def _call(self, method: str, tiles: torch.Tensor, *args: Any) -> float:
        value = float(getattr(self.model, method)(self.tokenizer, tiles, *args))
        if not 0.0 <= value <= 1.0:  # also catches NaN
            raise ModelOutputError(f"{method} returned {value}, outside [0, 1]")
        return value

    def _expert(self, tiles: torch.Tensor) -> tuple[list[float], dict[str, float]]:
        scores, named = self.model.expert_score(self.tokenizer, tiles)
        values = [float(v) for v in torch.as_tensor(scores).reshape(-1).tolist()]
        if len(values) != len(DIMENSIONS):
            raise ModelOutputError(f"expert_score returned {len(values)} values, expected 12")
        return values, dict(named or {})

    def _dimensions(self, scores: list[float], named: dict[str, float]) -> dict[str, float]:
        """Map the model's names to stable keys; tensor order when the names are unknown."""
        if named and set(named) <= set(BY_NAME) and len(named) == len(DIMENSIONS):
            dims = {BY_NAME[name].key: float(value) for name, value in named.items()}
        else:
            if named:
                log.warning("expert_score names %s unknown; using tensor order", sorted(named))
            dims = {d.key: scores[d.index] for d in DIMENSIONS}
        bad = [k for k, v in dims.items() if not 0.0 <= v <= 1.0]
        if bad:
            raise ModelOutputError(f"expert scores outside [0, 1] for {', '.join(bad)}")
        return dims

    def _annotate(self, tiles: torch.Tensor, sample: bool) -> str:
        # Greedy by default: the same image gives the same text every time.
        config = {"max_new_tokens": ANNOTATION_MAX_NEW_TOKENS, "do_sample": bool(sample)}
        return str(self.model.expert_annotataion(self.tokenizer, tiles, config)).strip()

    def reference_score(self, pixels: torch.Tensor) -> float:
        """The reference code's fast `score()` alone, plainly (no reuse)."""
        tiles = self._prepare(pixels)
        with torch.inference_mode():
            return self._call("score", tiles, SEED_QUESTION)

    def reference_full_sequence(
        self, pixels: torch.Tensor, *, own_attention: bool = False
    ) -> ReferenceResults:
        """The reference code's call sequence for everything (score, run_metavoter, expert_score), plainly.

        `own_attention` runs it on the model's own attention code too, not the swapped SDPA.
        """
        tiles = self._prepare(pixels)
        own = self.speedups.model_own_code() if own_attention else contextlib.nullcontext()
        with torch.inference_mode(), own:
            fast = self._call("score", tiles, SEED_QUESTION)
            overall = self._call("run_metavoter", tiles)
            scores, named = self._expert(tiles)
        return ReferenceResults(fast, overall, self._dimensions(scores, named))


def expert_text(dimensions: dict[str, float]) -> str:
    """The expert head's scores in the authors' annotation format: "1. Facial Brightness : good"."""
    return "\n".join(
        f"{d.index + 1}. {d.name} : {level_for(dimensions[d.key])}" for d in DIMENSIONS
    )


def _timed(timings: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        return fn()
    finally:
        timings[name] = time.perf_counter() - start


def _embedding(session: ReuseSession) -> bytes | None:
    """The compact culling embedding of the features this assessment computed (no extra pass)."""
    from humanaes_desktop.engine.culling.embedding import compact_embedding

    pooled = session.pooled_vision_features()
    if pooled is None:
        return None
    try:
        return compact_embedding(pooled.cpu().numpy())
    except ValueError as exc:  # all-zero or non-finite features: no embedding, said so
        log.warning("no culling embedding for this image: %s", exc)
        return None
