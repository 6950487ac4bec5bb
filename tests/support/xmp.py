"""Helpers of the XMP sidecar tests: the real reference readers (exiftool, exiv2), the foreign
sidecar fixtures, a German locale, and a library holding a few photos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

XMP_FIXTURES = Path(__file__).resolve().parents[1] / "data" / "xmp"
# Groups exiftool adds about the file itself (name, dates, size), not its metadata.
_FILE_GROUPS = ("SourceFile", "ExifTool:", "System:", "File:")


def require_tool(name: str) -> str:
    """The path of an external tool; CI must have it (.ci/run installs it), elsewhere skip."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (Debian: libimage-exiftool-perl / exiv2)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def exiftool(*args: str | os.PathLike) -> str:
    """Run exiftool; its stdout."""
    tool = require_tool("exiftool")
    done = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=True)
    return done.stdout


def exiftool_metadata(path: str | os.PathLike) -> dict:
    """`exiftool -j -G1 -struct -a` of a file, without the file-system groups."""
    return exiftool_metadata_of([path])[str(path)]


def exiftool_metadata_of(paths: list) -> dict[str, dict]:
    """`exiftool_metadata` of many files in one run (exiftool starts slowly), by path."""
    found = json.loads(exiftool("-j", "-G1", "-struct", "-a", *paths))
    by_source = {
        item["SourceFile"]: {k: v for k, v in item.items() if not k.startswith(_FILE_GROUPS)}
        for item in found
    }
    return {str(p): by_source[str(p)] for p in paths}


def exiftool_write(path: str | os.PathLike, *assignments: str) -> None:
    """Change a file with exiftool itself (in place, as other tools do)."""
    exiftool("-q", "-overwrite_original", *assignments, path)


def exiv2(*args: str | os.PathLike) -> str:
    """Run exiv2 (the engine of darktable and digiKam); its stdout."""
    tool = require_tool("exiv2")
    done = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=True)
    return done.stdout


def changed_keys(before: dict, after: dict) -> set[str]:
    """Keys whose values differ (added, removed or changed)."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def copy_fixture(name: str, target: Path) -> Path:
    """A foreign sidecar fixture copied to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(XMP_FIXTURES / name, target)
    return target


def german_locale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment variables of a de_DE.UTF-8 locale: the system's, or one compiled here with
    localedef into a private folder (no root needed)."""
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    if any(name.lower().replace("-", "") in ("de_de.utf8",) for name in listed):
        return {"LC_ALL": "de_DE.UTF-8"}
    localedef = shutil.which("localedef")
    sources = Path("/usr/share/i18n/locales/de_DE")
    if localedef is None or not sources.exists():
        message = "no de_DE locale and no localedef/locale sources (Debian: locales)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("locales")
    subprocess.run(
        [localedef, "-i", "de_DE", "-f", "UTF-8", str(folder / "de_DE.UTF-8")],
        check=True,
        capture_output=True,
    )
    return {"LOCPATH": str(folder), "LC_ALL": "de_DE.UTF-8"}


def library_with_photos(tmp_path: Path, names: list[str], **settings):
    """A library in `tmp_path` watching a folder of sample-JPEG copies named `names` (RAW names
    too: their content does not matter to sidecars); returns (library, folder, {name: id}).
    The caller closes the library."""
    from humanaes_desktop.library import Library
    from tests.support.photos import sample_photo

    folder = tmp_path / "photos"
    folder.mkdir(exist_ok=True)
    for name in names:
        if not (folder / name).exists():
            shutil.copyfile(sample_photo("grace_hopper.jpg"), folder / name)
    library = Library.open(tmp_path / "library.sqlite3")
    if settings:
        library.sidecars.update_settings(**settings)
    watched = library.add_folder(folder)
    library.scan_folder(watched.id)
    ids = library.find_images([str(folder / n) for n in names])
    return library, folder, {Path(p).name: i for p, i in ids.items()}
