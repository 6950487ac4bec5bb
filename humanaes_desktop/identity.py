"""The names the desktop knows this application by.

APP_ID is the reverse-DNS id of the freedesktop desktop entry, the AppStream component and the
icons (packaging/linux/); Qt is told it (`setDesktopFileName`), so Wayland compositors match the
window to its menu entry. APP_NAME is Qt's application name, which X11 window managers see as
the window's WM_CLASS class: the desktop entry's StartupWMClass must equal it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

APP_ID = "io.github.humanaes.HumanAesDesktop"
APP_NAME = "HumanAes Desktop"
ICON_RESOURCE = "humanaes.svg"  # in humanaes_desktop/resources: the scalable app icon


def resource_path(name: str) -> Path:
    """A file shipped in humanaes_desktop/resources (a real file, in a bundle too)."""
    return Path(str(resources.files("humanaes_desktop").joinpath("resources", name)))
