"""What the model's own Python code imports, and whether this program can provide it.

transformers runs a model folder's code (`trust_remote_code`) with ordinary imports, after
checking every top-level name that its own scan finds in each file
(`transformers.dynamic_module_utils.get_imports`, which `check_imports` uses at load time). A
frozen build (PyInstaller) holds only the modules that *our* code imports, so the model code's
needs are listed here, derived rather than guessed:

- the scan of the synthetic model's code templates this package ships (`model_code/`), with
  transformers' own function, and
- the names the official HumanAesExpert code is known to import (its InternVL2 vision code:
  einops, timm's DropPath, flash_attn inside try/except; torch and transformers throughout).

The PyInstaller spec turns `bundle_hidden_imports()` into hidden imports, and
`humanaes-desktop --self-test` imports every name in `required_imports()`
(`check_remote_imports`), so a frozen build that lacks one fails its self-test, not a user's load.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
from collections.abc import Iterable
from pathlib import Path

from humanaes_desktop.engine.model.timm_stand_in import ensure_timm_droppath

log = logging.getLogger(__name__)

# Top-level imports of the official HumanAesExpert-1B code (InternVL2-style): docs/MODEL_FACTS.md.
OFFICIAL_MODEL_IMPORTS = frozenset({"einops", "timm", "torch", "transformers"})
# Imported inside try/except by the model code (transformers' scan skips those): used if present.
OPTIONAL_MODEL_IMPORTS = frozenset({"flash_attn"})
# Names this package provides itself instead of the real distribution (see timm_stand_in.py):
# the real timm would drag torchvision into the bundle, and DropPath is the identity at inference.
STAND_INS = {"timm": "humanaes_desktop.engine.model.timm_stand_in"}


class RemoteImportError(ImportError):
    """A module that the model's code imports cannot be imported by this program."""


def template_folder() -> Path:
    """The synthetic model's code templates shipped in this package (a real folder on disk)."""
    from humanaes_desktop.engine.synthetic import templates

    return Path(templates.__file__).resolve().parent / "model_code"


def _code_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.py") if p.name != "__init__.py")


def scanned_imports(folder: Path) -> frozenset[str]:
    """Top-level modules transformers' own scan finds in a model folder's `*.py` files."""
    from transformers.dynamic_module_utils import get_imports

    return frozenset(name for path in _code_files(folder) for name in get_imports(path))


def _module_imports(tree: ast.AST, guarded: bool = False) -> Iterable[tuple[str, bool]]:
    """(absolute module, inside a try block) for every import statement in a module's AST."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, guarded
        yield from _module_imports(node, guarded or isinstance(node, ast.Try))


def _folder_imports(folder: Path) -> set[tuple[str, bool]]:
    found: set[tuple[str, bool]] = set()
    for path in _code_files(folder):
        found.update(_module_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return found


def imported_modules(folder: Path) -> frozenset[str]:
    """Every absolute module a folder's code imports, dotted in full (`transformers.activations`).

    Unlike transformers' scan this also sees imports inside try/except and `import a.b as c`
    (which its regular expression misses), and it keeps the full path, which is what a bundler
    needs: `from timm.models.layers import DropPath` needs `timm.models.layers`, not only `timm`.
    """
    return frozenset(name for name, _guarded in _folder_imports(folder))


def required_imports(folder: Path | None = None) -> frozenset[str]:
    """Top-level names the model code cannot run without.

    transformers' own scan of the templates (what it checks before loading), the unguarded
    imports our scan adds, and the official model's list; optional modules are left out.
    """
    folder = folder or template_folder()
    unguarded = {_top(name) for name, guarded in _folder_imports(folder) if not guarded}
    needed = scanned_imports(folder) | unguarded | OFFICIAL_MODEL_IMPORTS
    return frozenset(needed - OPTIONAL_MODEL_IMPORTS)


def _top(name: str) -> str:
    return name.partition(".")[0]


def bundle_hidden_imports(folder: Path | None = None) -> list[str]:
    """Modules a frozen build must contain for the model code: what PyInstaller cannot see.

    Names served by a stand-in are replaced by the stand-in's module; optional ones
    (flash_attn, CUDA only) are left out.
    """
    modules = imported_modules(folder or template_folder()) | required_imports(folder)
    hidden = {name for name in modules if _top(name) not in STAND_INS}
    hidden = {name for name in hidden if _top(name) not in OPTIONAL_MODEL_IMPORTS}
    return sorted(hidden | set(STAND_INS.values()))


def check_remote_imports(names: Iterable[str] | None = None) -> dict[str, str]:
    """Import every name the model code needs; name -> "ok" / "stand-in" / optional state.

    Raises RemoteImportError naming every module that failed, so a broken build says at once
    what it lacks. Optional modules are reported as "present" or "absent" and never fail.
    """
    wanted = sorted(required_imports() if names is None else set(names))
    stand_in = ensure_timm_droppath()
    states: dict[str, str] = {}
    failures: list[str] = []
    for name in wanted:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            failures.append(f"{name} ({type(exc).__name__}: {exc})")
            continue
        states[name] = "stand-in" if stand_in and _top(name) in STAND_INS else "ok"
    if failures:
        raise RemoteImportError(
            "the model's code imports modules this program cannot import: " + "; ".join(failures)
        )
    for name in sorted(OPTIONAL_MODEL_IMPORTS):
        states[name] = "present" if importlib.util.find_spec(name) is not None else "absent"
    return states
