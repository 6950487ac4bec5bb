"""What loading a model folder needs around transformers: an importable folder name, isolated
code modules, quiet logs.

- transformers 4.44.2 imports a folder's own code as `transformers_modules.<folder name>`; a dot
  in that name (`my.model v2`) becomes a package separator and the import fails
  (`ModuleNotFoundError: transformers_modules.my`). Such a folder is loaded through a symlink
  with a plain name in the cache, pointing at the folder that was verified.
- transformers keys a local folder's code by the folder's *name*: two folders called
  `HumanAesExpert-1B` (the official one and a fine-tune elsewhere) share the package
  `transformers_modules.HumanAesExpert-1B`, and loading the second re-runs only the module named
  in `auto_map`; the modules it imports come from `sys.modules`, i.e. from the first folder.
  `isolate_remote_code` drops that package before a folder is loaded under a name that last
  held another folder (or other code), so the code we verified is the code that runs.
- transformers writes its own warnings straight to stderr (e.g. "past_key_values as a tuple is
  deprecated" on every image). They are routed into Python logging instead, at INFO: they reach
  the app's log file and `-v` output, not the user's terminal. Errors keep their level.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import sys
import threading
from pathlib import Path

from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

_IMPORTABLE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
ALIAS_DIR_NAME = "model-aliases"


class UnloadableFolderNameError(UserError):
    """The folder's name cannot be imported by transformers and no alias could be made."""


def needs_alias(folder: Path) -> bool:
    """True when transformers could not import code from a folder with this name."""
    return not _IMPORTABLE_NAME.match(folder.name)


def alias_for(folder: Path, alias_root: Path) -> Path:
    """A symlink with an importable name under `alias_root`, pointing at `folder` (resolved).

    The name carries a hash of the target path, so two folders never share an alias (or the
    module namespace transformers derives from it). The link is re-made on every call, so it
    can only ever point at the folder that was just verified.
    """
    target = folder.resolve()
    digest = hashlib.sha256(str(target).encode("utf-8")).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", target.name).strip("_")[:40] or "model"
    link = alias_root / f"{stem}-{digest}"
    try:
        alias_root.mkdir(parents=True, exist_ok=True)
        temporary = alias_root / f".{link.name}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(target, target_is_directory=True)
        os.replace(temporary, link)  # atomic: never a moment with a stale target
    except OSError as exc:
        raise UnloadableFolderNameError(
            f"the model folder name {target.name!r} contains characters the model loader cannot "
            f"import (such as '.'), and no alias could be created in {alias_root} ({exc}); "
            "rename the folder to letters, digits, '-' and '_' only"
        ) from exc
    if link.resolve() != target:
        raise UnloadableFolderNameError(f"the alias {link} does not point at {target}")
    log.info("loading %s through the alias %s (its name is not importable)", target, link)
    return link


REMOTE_CODE_PACKAGE = "transformers_modules"
_code_lock = threading.Lock()
_code_loaded_under: dict[str, str] = {}  # module name -> identity of the folder it holds


def code_identity(folder: Path) -> str:
    """The folder's resolved path plus a digest of its Python files (names and bytes)."""
    target = folder.resolve()
    digest = hashlib.sha256()
    for code in sorted(target.glob("*.py")):
        digest.update(code.name.encode("utf-8") + b"\0" + code.read_bytes() + b"\0")
    return f"{target}#{digest.hexdigest()[:16]}"


def isolate_remote_code(importable: str | Path) -> list[str]:
    """Forget the code modules of another folder loaded earlier under the same name.

    Call it with the path handed to transformers, just before loading. Returns the names of
    the modules dropped (empty when the name is new or held this very folder and code). A model
    already loaded keeps working: its objects hold their own classes.
    """
    path = Path(importable)
    name = path.name
    identity = code_identity(path)
    package = f"{REMOTE_CODE_PACKAGE}.{name}"
    with _code_lock:
        previous = _code_loaded_under.get(name)
        _code_loaded_under[name] = identity
        if previous is None or previous == identity:
            return []
        dropped = [m for m in list(sys.modules) if m == package or m.startswith(package + ".")]
        for module in dropped:
            del sys.modules[module]
        importlib.invalidate_caches()
    log.info(
        "model code name %r last held %s; dropped its %d modules before loading %s",
        name,
        previous,
        len(dropped),
        identity,
    )
    return dropped


class _ToPythonLogging(logging.Handler):
    """Hands transformers' records to the root logger's handlers, warnings demoted to INFO.

    transformers logs on child loggers ("transformers.models...."), so a filter on its library
    logger would not see them; a handler on that logger does.
    """

    def emit(self, record: logging.LogRecord) -> None:
        copy = logging.makeLogRecord(record.__dict__)
        if copy.levelno == logging.WARNING:
            copy.levelno, copy.levelname = logging.INFO, "INFO"
        root = logging.getLogger()
        # Handlers usually have no level of their own; the root logger's level is the gate.
        if root.isEnabledFor(copy.levelno):
            root.handle(copy)


_HANDLER = _ToPythonLogging()


def route_transformers_logging() -> None:
    """Send transformers' log records into Python logging instead of straight to stderr.

    Idempotent. Its warnings arrive as INFO (log file, `-v`); ERROR and CRITICAL keep their
    level, so real failures still reach the terminal.
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_default_handler()
    hf_logging.disable_propagation()
    library_logger = logging.getLogger("transformers")
    if _HANDLER not in library_logger.handlers:
        library_logger.addHandler(_HANDLER)
