"""Waiting for what has no signal to wait on: another thread's or another process's work."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

POLL_S = 0.05


def wait_until(
    condition: Callable[[], object],
    timeout: float = 20.0,
    what: str = "condition",
    proc: subprocess.Popen | None = None,
) -> None:
    """Poll `condition` until it is true; fail with `what` after `timeout` seconds.

    With `proc`, fail at once if that process exits first (it will never make it true).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before: {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        time.sleep(POLL_S)
