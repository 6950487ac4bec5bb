"""Folders and photos given to `humanaes-desktop` on its command line.

A file manager's "Open with HumanAes Desktop" (the desktop entry's `Exec=humanaes-desktop %F`)
passes folders and photos. The library watches folders, so a folder is watched as given and a
photo's folder is watched for it. Folders the library already covers are left alone, so opening
a photo a second time just opens the app. No Qt, no SQL: app.py does the adding.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from humanaes_desktop.engine.images.loading import is_supported_path


def folders_for(paths: Sequence[Path]) -> tuple[list[str], list[str]]:
    """(folders to watch, problems): a folder itself, a photo's folder, in order, once each."""
    folders: list[str] = []
    problems: list[str] = []
    for path in paths:
        absolute = Path(os.path.abspath(os.path.expanduser(path)))
        if absolute.is_dir():
            folder = absolute
        elif absolute.is_file() and is_supported_path(absolute):
            folder = absolute.parent
        elif absolute.exists():
            problems.append(f"{path} is not a photo this app can read.")
            continue
        else:
            problems.append(f"{path} does not exist.")
            continue
        if str(folder) not in folders:
            folders.append(str(folder))
    return folders, problems


def _covers(folder: str, path: str) -> bool:
    """True when `path` is `folder` or lies below it (after resolving links)."""
    folder, path = os.path.realpath(folder), os.path.realpath(path)
    return path == folder or path.startswith(os.path.join(folder, ""))


def new_folders(candidates: Iterable[str], watched: Iterable[str]) -> list[str]:
    """The candidates that no watched folder (nor an earlier candidate) already covers."""
    covered = list(watched)
    chosen: list[str] = []
    for folder in sorted(candidates, key=lambda f: len(os.path.realpath(f))):  # parents first
        if not any(_covers(other, folder) for other in covered):
            chosen.append(folder)
            covered.append(folder)
    return chosen
