"""A frozen app points transformers' module cache at a per-user folder before importing it.

Each case runs in a fresh interpreter: transformers reads HF_MODULES_CACHE once, at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, os, sys
{setup}
from humanaes_desktop.frozen import prepare_frozen_runtime
chosen = prepare_frozen_runtime(frozen={frozen})
seen = None
if {ask_transformers}:
    import transformers.utils
    seen = transformers.utils.HF_MODULES_CACHE
print(json.dumps({{"chosen": str(chosen) if chosen else None,
                  "env": os.environ.get("HF_MODULES_CACHE"),
                  "transformers": seen}}))
"""


def run(
    tmp_path, frozen: bool, setup: str = "", ask_transformers: bool = False, **env: str
) -> subprocess.CompletedProcess:
    """A fresh interpreter; `ask_transformers` imports it afterwards to read what it saw."""
    environment = {k: v for k, v in os.environ.items() if k != "HF_MODULES_CACHE"}
    environment.update(HUMANAES_DATA_DIR=str(tmp_path / "data"), **env)
    script = SCRIPT.format(setup=setup, frozen=frozen, ask_transformers=ask_transformers)
    return subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def facts(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_frozen_app_uses_the_per_user_cache_before_transformers_reads_it(tmp_path):
    got = facts(run(tmp_path, frozen=True, ask_transformers=True))
    expected = str(tmp_path / "data" / "cache" / "hf-modules")
    assert got == {"chosen": expected, "env": expected, "transformers": expected}
    assert os.access(expected, os.W_OK)  # created, and writable


def test_unfrozen_app_leaves_transformers_default_alone(tmp_path):
    got = facts(run(tmp_path, frozen=False, ask_transformers=True))
    assert got["chosen"] is None and got["env"] is None
    assert got["transformers"].endswith(os.path.join("huggingface", "modules"))


def test_a_users_own_setting_is_kept(tmp_path):
    own = str(tmp_path / "mine")
    got = facts(run(tmp_path, frozen=True, HF_MODULES_CACHE=own))
    assert got["chosen"] == got["env"] == own


def test_a_setting_inside_the_bundle_is_replaced(tmp_path):
    bundle = tmp_path / "bundle"
    setup = f"sys._MEIPASS = {str(bundle)!r}"
    got = facts(run(tmp_path, frozen=True, setup=setup, HF_MODULES_CACHE=str(bundle / "mods")))
    assert got["chosen"] == got["env"] == str(tmp_path / "data" / "cache" / "hf-modules")


def test_calling_it_after_transformers_was_imported_is_an_error(tmp_path):
    result = run(tmp_path, frozen=True, setup="import transformers")
    assert result.returncode != 0
    assert "before transformers is imported" in result.stderr
