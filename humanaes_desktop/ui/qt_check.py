"""The Qt stage of `--self-test`: the offscreen platform, Qt's JPEG reader (thumbnails), its SVG
renderer and icon engine work in this installation (a bundle missing a plugin fails here)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QImageReader, QPainter
from PySide6.QtSvg import QSvgRenderer


class QtCheckError(Exception):
    """Qt cannot do something the app needs; the message says what."""


def check_qt(photo: Path, icon: Path) -> str:
    """Qt starts, reads the JPEG and renders the SVG icon; returns the platform's name."""
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    image = QImageReader(str(photo)).read()
    if image.isNull():
        raise QtCheckError(f"Qt could not read {photo.name} (no JPEG image plugin?)")
    renderer = QSvgRenderer(str(icon))
    if not renderer.isValid():
        raise QtCheckError(f"Qt could not parse {icon.name} (QtSvg missing?)")
    canvas = QImage(QSize(48, 48), QImage.Format.Format_ARGB32)
    canvas.fill(QColor(0, 0, 0, 0))
    painter = QPainter(canvas)
    renderer.render(painter)
    painter.end()
    if canvas.pixelColor(24, 24).alpha() == 0:
        raise QtCheckError(f"Qt rendered {icon.name} as an empty image")
    if QIcon(str(icon)).pixmap(48, 48).isNull():  # the window icon (an SVG icon engine)
        raise QtCheckError(f"Qt cannot make a window icon of {icon.name}")
    return app.platformName()
