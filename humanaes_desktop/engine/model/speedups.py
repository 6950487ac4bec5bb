"""The speed tricks of one loaded model, their one-time self-checks, and what they report.

Three tricks make a CPU assessment affordable: reuse across the model's calls (reuse/), SDPA
attention in place of the model's eager code (attention/), and the measured dtype
(gemm_probe.py). The first two change how the model's own code computes, so each checks itself
once against that code; `Speedups` runs those checks on the first assessment that needs them,
keeps their verdicts on disk (verdicts.py) so a later process does not pay for them again, and
after the first assessment of the loaded model logs one line saying which tricks engaged,
with a WARNING when reuse never did (a model whose code lacks the seams silently costs ~4x).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from humanaes_desktop.engine.model.attention.check import VisionCheckRun, check_language
from humanaes_desktop.engine.model.attention.swap import LANGUAGE, PARTS, VISION, AttentionSwap
from humanaes_desktop.engine.model.reuse.parts import ReusePolicy, ReuseStats
from humanaes_desktop.engine.model.verdicts import PREFIX_REUSE, Verdict, VerdictStore

log = logging.getLogger(__name__)


def attention_check_name(part: str) -> str:
    """The verdict name of one part's attention self-check."""
    return f"attention_{part}"


class Speedups:
    """Attention swap and reuse policy of one loaded model, with their self-check verdicts."""

    def __init__(
        self,
        model: Any,
        policy: ReusePolicy,
        store: VerdictStore | None,
        *,
        attention: bool = True,
    ) -> None:
        self.swap = AttentionSwap(model)
        self.policy = policy
        self.store = store
        self.attention = attention
        self.verified: set[str] = set()  # checks whose verdict is known (from disk or this run)
        self.reported = False

    # -- at load --------------------------------------------------------------------------------
    def install(self) -> None:
        """Swap attention where no earlier verdict says not to; apply a known prefix verdict."""
        off: dict[str, str] = {}
        for part in PARTS:
            verdict = self._stored(attention_check_name(part))
            if not self.attention:
                off[part] = "SDPA attention switched off"
            elif verdict is not None and not verdict.ok:
                off[part] = f"an earlier self-check found SDPA differs ({verdict.detail})"
            if verdict is not None:
                self.verified.add(attention_check_name(part))
        self.swap.install(off=off)
        for part, reason in off.items():
            if self.swap.parts[part].backend != "eager" or not self.attention:
                continue
            log.info("%s attention stays the model's own: %s", part, reason)
        prefix = self._stored(PREFIX_REUSE)
        if prefix is not None:
            self.policy.checked = True
            self.policy.lm_prefix = self.policy.lm_prefix and prefix.ok
            self.verified.add(PREFIX_REUSE)
            if not prefix.ok:
                log.warning("prefix reuse stays off: an earlier self-check found %s", prefix.detail)

    @property
    def attention_backend(self) -> str:
        """What computes attention now: "sdpa", "eager", or one per part."""
        return self.swap.backend

    @contextlib.contextmanager
    def model_own_code(self) -> Iterator[None]:
        """The model's own attention in every part inside the block (for plain comparisons)."""
        with contextlib.ExitStack() as stack:
            for part in PARTS:
                stack.enter_context(self.swap.originals(part))
            yield

    # -- around an assessment -------------------------------------------------------------------
    @contextlib.contextmanager
    def checking(self, timings: dict[str, float]) -> Iterator[None]:
        """Around one assessment: run the attention self-checks still owed; store verdicts.

        The language model's check runs first, on its own sequence; the vision check rides on
        the assessment's first vision call. `timings["self_check"]` gets the seconds spent on
        the language model's check when it ran.
        """
        if self.swap.swapped(LANGUAGE) and attention_check_name(LANGUAGE) not in self.verified:
            start = time.perf_counter()
            self._check_language()
            timings["self_check"] = time.perf_counter() - start
        try:
            with self.checking_vision():
                yield
        finally:
            if self.policy.checked and PREFIX_REUSE not in self.verified:
                self.verified.add(PREFIX_REUSE)
                self._put(PREFIX_REUSE, self.policy.lm_prefix, self.policy.check_detail)

    @contextlib.contextmanager
    def checking_vision(self) -> Iterator[None]:
        """Around a vision-encoder call: compare the swapped kernel on it if still owed.

        assess() runs it around the whole assessment; a batched vision forward computed
        before assess() (batching.py) runs it around that forward, which is then the call
        the check rides on.
        """
        vision = None
        if self.swap.swapped(VISION) and attention_check_name(VISION) not in self.verified:
            vision = VisionCheckRun(self.swap)
        try:
            yield
        finally:
            if vision is not None:
                self._finish_vision(vision)

    def _check_language(self) -> None:
        outcome = check_language(self.swap)
        self.verified.add(attention_check_name(LANGUAGE))
        self._put(attention_check_name(LANGUAGE), outcome.agrees, outcome.describe())
        if outcome.agrees:
            log.info("%s", outcome.describe())
        else:
            self.swap.switch_off(LANGUAGE, f"self-check: {outcome.describe()}")

    def _finish_vision(self, run: VisionCheckRun) -> None:
        outcome = run.outcome()
        if outcome is None:
            run.abandon()  # the assessment ended before every module was compared
            return
        self.verified.add(attention_check_name(VISION))
        self._put(attention_check_name(VISION), outcome.agrees, outcome.describe())
        if outcome.agrees:
            log.info("%s", outcome.describe())

    # -- after the first assessment -------------------------------------------------------------
    def report_first(self, label: str, stats: ReuseStats, dtype_note: str) -> None:
        """Log, once per loaded model, which speed tricks engaged on its first assessment."""
        if self.reported:
            return
        self.reported = True
        line = (
            f"first assessment with {label}: reuse {describe_reuse(stats)}; "
            f"attention {self.attention_backend}; dtype {dtype_note}"
        )
        missed = reuse_misses(stats)
        if missed:
            log.warning(
                "%s. Reuse never engaged for the %s: the model's code lacks the seams the "
                "engine wraps or passed arguments the wrappers do not know, so every call ran "
                "in full (about 4x the work)",
                line,
                " and ".join(missed),
            )
        else:
            log.info("%s", line)

    # -- the verdict store ----------------------------------------------------------------------
    def _stored(self, check: str) -> Verdict | None:
        return self.store.get(check) if self.store is not None else None

    def _put(self, check: str, ok: bool, detail: str) -> None:
        if self.store is None:
            return
        try:
            self.store.put(check, ok, detail)
        except OSError as exc:  # an unwritable data dir only costs the check next time
            log.warning("could not keep the %s self-check's verdict: %s", check, exc)


def describe_reuse(stats: ReuseStats) -> str:
    """The reuse counters of one assessment in a phrase."""
    return (
        f"vision {stats.vision_calls} calls -> {stats.vision_computed} computed, "
        f"language model {stats.lm_calls} calls -> {stats.lm_computed} full, "
        f"{stats.lm_full_hits} identical, {stats.lm_prefix_hits} prefix, "
        f"{stats.lm_passthrough} passed through; tokens {stats.tokens_computed:,} of "
        f"{stats.tokens_requested:,}"
    )


def reuse_misses(stats: ReuseStats) -> list[str]:
    """The parts where reuse had a chance (repeated calls) and never served one."""
    missed = []
    if stats.vision_calls > 1 and stats.vision_hits == 0:
        missed.append("vision encoder")
    if stats.lm_calls > 1 and stats.lm_full_hits + stats.lm_prefix_hits == 0:
        missed.append("language model")
    return missed
