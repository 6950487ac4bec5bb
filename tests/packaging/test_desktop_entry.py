"""The desktop entry validates and matches the app: id, icon, window class, programs, types."""

from __future__ import annotations

import configparser
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from desktop_tools import DESKTOP_FILE, require_tool, run_tool

from humanaes_desktop.engine.images.loading import SUPPORTED_SUFFIXES
from humanaes_desktop.identity import APP_ID, APP_NAME

SHARED_MIME_GLOBS = Path("/usr/share/mime/globs2")
# Suffixes that older shared-mime-info releases (Debian 12's 2.2) do not know yet.
NEWER_MIME_TYPES = {".jfif": "image/jpeg", ".srw": "image/x-samsung-srw"}


def entry(path: Path = DESKTOP_FILE) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def listed(value: str) -> list[str]:
    return [item for item in value.split(";") if item]


def gui_program() -> str:
    """The GUI program's name, as pyproject.toml installs it."""
    (name,) = [
        point.name
        for point in entry_points(group="gui_scripts")
        if point.value.startswith("humanaes_desktop.")
    ]
    return name


def test_desktop_file_validate_accepts_the_entry():
    result = run_tool(require_tool("desktop-file-validate"), str(DESKTOP_FILE))
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stdout


def test_desktop_file_validate_rejects_a_broken_entry(tmp_path):
    # Guards the check above: the validator really reads what we give it.
    broken = tmp_path / DESKTOP_FILE.name
    text = DESKTOP_FILE.read_text(encoding="utf-8").replace("Type=Application", "Type=Program")
    broken.write_text(text + "SingleMainWindow=true\n", encoding="utf-8")
    result = run_tool(require_tool("desktop-file-validate"), str(broken))
    assert result.returncode != 0
    assert "Type" in result.stdout


def test_the_entry_names_what_the_app_uses():
    desktop = entry()
    assert DESKTOP_FILE.name == f"{APP_ID}.desktop"  # the name setDesktopFileName announces
    assert desktop["Icon"] == APP_ID
    assert desktop["StartupWMClass"] == APP_NAME  # the WM_CLASS class Qt gives our windows
    assert desktop["Exec"] == f"{gui_program()} %F"
    assert desktop["TryExec"] == gui_program()
    assert listed(desktop["Categories"]) == ["Graphics", "Photography", "Viewer", "Qt"]
    assert "photo" in listed(desktop["Keywords"])


def known_mime_types() -> dict[str, str]:
    """Suffix -> MIME type from the system's shared-mime-info database (plus newer ones)."""
    if not SHARED_MIME_GLOBS.is_file():
        pytest.skip("shared-mime-info is not installed")
    found = dict(NEWER_MIME_TYPES)
    for line in SHARED_MIME_GLOBS.read_text(encoding="utf-8").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].startswith("*.") and parts[1].startswith("image/"):
            found.setdefault(parts[2][1:].lower(), parts[1])
    return found


def test_mime_types_are_exactly_the_images_the_app_reads_and_folders():
    claimed = set(listed(entry()["MimeType"]))
    types = known_mime_types()
    unknown = sorted(s for s in SUPPORTED_SUFFIXES if s not in types)
    assert unknown == []
    readable = {types[suffix] for suffix in SUPPORTED_SUFFIXES}
    assert claimed == readable | {"inode/directory"}


def test_the_app_announces_its_desktop_id_and_icon(qapp):
    from humanaes_desktop.app import _set_desktop_identity

    saved = qapp.applicationName(), qapp.desktopFileName(), qapp.windowIcon()
    try:
        _set_desktop_identity(qapp)
        assert qapp.desktopFileName() == APP_ID
        assert qapp.applicationName() == APP_NAME
        assert not qapp.windowIcon().pixmap(48, 48).isNull()
    finally:
        qapp.setApplicationName(saved[0])
        qapp.setDesktopFileName(saved[1])
        qapp.setWindowIcon(saved[2])
