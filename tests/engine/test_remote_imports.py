"""The model code's imports: derived from the code with transformers' own scan, and checked."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from humanaes_desktop.engine.model.remote_imports import (
    OFFICIAL_MODEL_IMPORTS,
    OPTIONAL_MODEL_IMPORTS,
    RemoteImportError,
    bundle_hidden_imports,
    check_remote_imports,
    imported_modules,
    required_imports,
    scanned_imports,
    template_folder,
)


def write_model_code(folder, **files: str):
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return folder


def test_the_shipped_templates_need_what_the_official_model_needs():
    scanned = scanned_imports(template_folder())
    # The synthetic model's code imports the official model's third-party modules...
    assert {"einops", "timm", "torch", "transformers"} <= scanned
    # ...and flash_attn only inside try/except, which transformers' scan (like ours) skips.
    assert "flash_attn" not in scanned
    assert "flash_attn" in imported_modules(template_folder())
    assert required_imports() >= (scanned | OFFICIAL_MODEL_IMPORTS) - OPTIONAL_MODEL_IMPORTS
    assert not required_imports() & OPTIONAL_MODEL_IMPORTS


def test_our_scan_sees_what_transformers_scan_sees_and_more(tmp_path):
    folder = write_model_code(
        tmp_path / "model",
        modeling_a="""
            import math
            import torch.nn.functional as F
            from einops import rearrange
            from .configuration_a import Config
            try:
                from flash_attn import flash_attn_func
            except ImportError:
                flash_attn_func = None
        """,
        configuration_a="from transformers.configuration_utils import PretrainedConfig\n",
    )
    # transformers' regular expressions miss `import a.b as c`; our scan sees it, in full.
    assert scanned_imports(folder) == {"math", "einops", "transformers"}
    assert "torch.nn.functional" in imported_modules(folder)
    assert "flash_attn" in imported_modules(folder)
    # What must import: both scans, the official list, never the guarded (optional) import.
    assert required_imports(folder) == {"math", "einops", "torch", "transformers", "timm"}


def test_hidden_imports_use_the_timm_stand_in_and_leave_out_optional_modules():
    hidden = bundle_hidden_imports()
    assert "humanaes_desktop.engine.model.timm_stand_in" in hidden
    assert not [name for name in hidden if name.split(".")[0] in {"timm", "flash_attn"}]
    assert {"einops", "transformers.models.qwen2.modeling_qwen2"} <= set(hidden)


def test_check_imports_every_required_module_and_reports_the_optional_ones():
    states = check_remote_imports()
    assert set(states) == required_imports() | OPTIONAL_MODEL_IMPORTS
    assert states["einops"] == "ok"
    assert states["flash_attn"] in {"present", "absent"}


def test_a_missing_module_is_named_in_one_error():
    with pytest.raises(RemoteImportError) as caught:
        check_remote_imports(["einops", "humanaes_no_such_module", "also_missing_here"])
    assert "humanaes_no_such_module" in str(caught.value)
    assert "also_missing_here" in str(caught.value)


def test_timm_is_served_by_the_stand_in_when_the_real_one_is_unusable(tmp_path):
    # A broken timm on the path (as beside a mismatched torchvision) must not stop the model.
    write_model_code(tmp_path / "site" / "timm", __init__="raise RuntimeError('broken timm')\n")
    script = (
        "from humanaes_desktop.engine.model.remote_imports import check_remote_imports\n"
        "print(check_remote_imports()['timm'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "stand-in"
