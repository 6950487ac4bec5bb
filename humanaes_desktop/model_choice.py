"""Which model folder to use, by one rule for `humanaes score`, `humanaes watch` and the app.

1. the folder named on the command line (`--model DIR`);
2. else the folder chosen in the app's settings (Settings → Model), trusted as recorded there;
3. else the one model installed in the user data folder (`humanaes model download`).
Several installed models and no choice is an error that names them: guessing would score a
library with a model the user did not pick.

Beside settings.py (no Qt, no torch): the loader imports the adapter only when the worker calls
it, on its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humanaes_desktop.engine.store.known_folders import installed_model_folders
from humanaes_desktop.errors import UserError
from humanaes_desktop.settings import AppSettings
from humanaes_desktop.wording import NO_MODEL_INSTALLED


class NoModelChosenError(UserError):
    """No model folder was given, chosen in the settings, or installed (or several are)."""


@dataclass(frozen=True)
class ModelChoice:
    """A model folder to load, and whether its unknown code may run (the user trusted it)."""

    folder: Path
    trusted: bool


def resolve_model_folder(
    explicit: Path | None, settings: AppSettings | None = None, *, trust: bool = False
) -> ModelChoice:
    """The model to use: `explicit` (--model, trusted if `trust`), else the settings' choice,
    else the one installed model."""
    if explicit is not None:
        return ModelChoice(Path(explicit).expanduser(), trust)
    if settings is not None and settings.model_dir:
        return ModelChoice(Path(settings.model_dir).expanduser(), trust or settings.model_trusted)
    installed = installed_model_folders()
    if len(installed) == 1:
        return ModelChoice(installed[0], trust)
    if not installed:
        raise NoModelChosenError(
            f"{NO_MODEL_INSTALLED}; or build a synthetic test model with "
            "`humanaes model synth --preset tiny --out DIR`"
        )
    names = ", ".join(folder.name for folder in installed)
    raise NoModelChosenError(
        f"several models are installed ({names}); choose one with --model DIR or in "
        "Settings → Model"
    )


def model_loader(
    choice: ModelChoice, device: str = "auto", dtype: str = "auto", threads: int | None = None
) -> Callable[[], Any]:
    """A function that verifies and loads the chosen model (called on the worker's thread)."""

    def load() -> Any:
        from humanaes_desktop.engine.model.adapter import HumanAesExpert

        return HumanAesExpert.load(
            choice.folder,
            device=device,
            dtype=dtype,
            trust_unknown=choice.trusted,
            threads=threads,
        )

    return load
