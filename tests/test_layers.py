"""The architecture rules, enforced by walking every module's AST.

- The core (engine, library, pipeline) never imports Qt; the UI never imports torch, SQL or
  transformers. Imports inside functions count too, so a lazy import cannot sneak past.
- engine/images and engine/store are what the GUI and the scan use without a model: they never
  import torch or transformers when they are imported (a lazy import inside a function is the
  way to reach them there).
- No two of the package's modules import each other, directly or round a longer circle
  (`if TYPE_CHECKING:` imports count: a circle for the type checker is still a tangle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "humanaes_desktop"

# folder -> top-level modules it must never import, anywhere in a module
FORBIDDEN = {
    "engine": {"PySide6", "sqlalchemy"},
    # The culling first pass runs before (and without) any model: OpenCV and numpy only.
    "engine/culling": {"PySide6", "sqlalchemy", "torch", "transformers"},
    "library": {"PySide6", "torch", "transformers"},
    "pipeline": {"PySide6", "sqlalchemy"},
    "commands": {"PySide6"},
    "cluster": {"PySide6"},
    "ui": {"torch", "sqlalchemy", "transformers"},
    # "Your taste" learns from recorded ratings and scores (scikit-learn), never from the model.
    "taste": {"PySide6", "torch", "transformers"},
    "evaluation": {"PySide6"},
}
# Ray is for batch jobs on a cluster: only humanaes_desktop/cluster/ may import it, so the
# desktop app and its bundle never load it (the [cluster] extra is optional).
CLUSTER_ONLY = {"ray"}
# folder -> top-level modules it must not import while it is being imported
FORBIDDEN_AT_IMPORT = {
    "engine/images": {"torch", "transformers"},
    "engine/store": {"torch", "transformers"},
}


def _imported(nodes: list[ast.AST]) -> set[str]:
    """Dotted names of the absolute imports among `nodes`."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imported_top_levels(source: str) -> set[str]:
    """Top-level packages imported anywhere in `source` (functions included)."""
    return {name.split(".")[0] for name in _imported(list(ast.walk(ast.parse(source))))}


def _runs_at_import(tree: ast.Module, *, type_checking: bool) -> list[ast.AST]:
    """The statements of a module that run when it is imported: everything outside function
    bodies; `if TYPE_CHECKING:` blocks only with `type_checking`."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test) and not type_checking:
            pending.extend(node.orelse)
            continue
        found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_at_import_time(source: str) -> set[str]:
    """Top-level packages `source` imports as it is imported (not in functions, not for types)."""
    nodes = _runs_at_import(ast.parse(source), type_checking=False)
    return {name.split(".")[0] for name in _imported(nodes)}


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package but the model-code templates
    (the synthetic model's own code, copied into model folders and run by transformers)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "model_code" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def violations() -> list[str]:
    found = []
    for folder, banned in FORBIDDEN.items():
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            if "model_code" in path.parts:
                continue
            bad = imported_top_levels(path.read_text(encoding="utf-8")) & banned
            if bad:
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    for folder, banned in FORBIDDEN_AT_IMPORT.items():
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            bad = imported_at_import_time(path.read_text(encoding="utf-8")) & banned
            if bad:
                found.append(
                    f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)} at module level"
                )
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports outside functions (TYPE_CHECKING included)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _imported(_runs_at_import(tree, type_checking=True))
        # A module's own parent packages are imported before it anyway: not a circle.
        graph[name] = {n for n in names if n in modules and not (name + ".").startswith(n + ".")}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each circle of imports once, as the modules along it (a depth-first search)."""
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph.get(module, ())):
            if target in path:
                cycle = path[path.index(target) :]
                if not any(set(cycle) == set(c) for c in cycles):
                    cycles.append(cycle)
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    return cycles


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


def test_no_two_modules_import_each_other():
    graph = import_graph()
    assert "humanaes_desktop.ui.window.commands" in graph  # the walk found the package
    assert import_cycles(graph) == []


@pytest.mark.parametrize(
    ("folder", "source", "expected"),
    [
        ("engine", "import PySide6.QtCore\n", {"PySide6"}),
        ("ui", "def f():\n    from torch import nn\n", {"torch"}),
        ("ui", "from . import gallery_model\n", set()),
    ],
)
def test_the_checker_sees_imports(folder, source, expected):
    # Guards the guard: a checker that sees nothing would pass the rules above forever.
    assert imported_top_levels(source) & FORBIDDEN[folder] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import torch\n", {"torch"}),
        ("try:\n    import torch\nexcept ImportError:\n    torch = None\n", {"torch"}),
        ("class A:\n    from transformers import AutoModel\n", {"transformers"}),
        ("def load():\n    import torch\n", set()),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\n", {"typing"}),
    ],
)
def test_the_import_time_checker_tells_module_level_from_lazy(source, expected):
    assert imported_at_import_time(source) == expected


def test_the_cycle_finder_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []
