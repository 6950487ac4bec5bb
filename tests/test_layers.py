"""The architecture rule, enforced: the core never imports Qt; the UI never imports torch or SQL.

Walks every module's AST (imports inside functions count too), so a lazy import cannot sneak
past the rule.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "humanaes_desktop"

# layer (sub-package) -> top-level modules it must never import
FORBIDDEN = {
    "engine": {"PySide6", "sqlalchemy"},
    "library": {"PySide6", "torch", "transformers"},
    "pipeline": {"PySide6", "sqlalchemy"},
    "commands": {"PySide6"},
    "cluster": {"PySide6"},
    "ui": {"torch", "sqlalchemy", "transformers"},
}


# Ray is for batch jobs on a cluster: only humanaes_desktop/cluster/ may import it, so the
# desktop app and its bundle never load it (the [cluster] extra is optional).
CLUSTER_ONLY = {"ray"}


def imported_top_levels(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def violations() -> list[str]:
    found = []
    for layer, banned in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            # The synthetic model's code templates are the *model's* code (copied into model
            # folders and run by transformers); they are not part of our layering.
            if "model_code" in path.parts:
                continue
            bad = imported_top_levels(path.read_text(encoding="utf-8")) & banned
            if bad:
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    return found


def test_layers_respect_import_rules():
    assert violations() == []


def test_only_the_cluster_package_imports_ray():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cluster" in path.relative_to(PACKAGE).parts:
            continue
        bad = imported_top_levels(path.read_text(encoding="utf-8")) & CLUSTER_ONLY
        if bad:
            found.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    assert found == []


@pytest.mark.parametrize(
    "code",
    [
        "import humanaes_desktop.app",
        "from humanaes_desktop.cli import build_parser; build_parser()",
    ],
    ids=["desktop_app", "cli_parser"],
)
def test_the_app_and_the_cli_start_without_ray_or_pyarrow(code):
    # Imported modules, not just import statements: a lazy import chain would show up here.
    probe = f"{code}\nimport sys\nprint(sorted({{'ray', 'pyarrow'}} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("engine", "import PySide6.QtCore\n", {"PySide6"}),
        ("ui", "def f():\n    from torch import nn\n", {"torch"}),
        ("ui", "from . import gallery_model\n", set()),
    ],
)
def test_the_checker_sees_imports(layer, source, expected):
    # Guards the guard: a checker that sees nothing would pass the rule above forever.
    assert imported_top_levels(source) & FORBIDDEN[layer] == expected
