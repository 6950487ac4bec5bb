"""Render the hicolor PNG icons from the scalable SVG with Qt's own SVG renderer.

    .venv/bin/python packaging/linux/render_icons.py          # rewrite the committed PNGs
    .venv/bin/python packaging/linux/render_icons.py --check  # exit 1 if one is out of date

The PNGs are committed (desktops without SVG support, AppStream's cached icons) and re-rendered
whenever humanaes_desktop/resources/humanaes.svg changes; the test suite runs --check.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from humanaes_desktop.identity import APP_ID, ICON_RESOURCE  # noqa: E402

SVG = ROOT / "humanaes_desktop" / "resources" / ICON_RESOURCE
ICON_DIR = Path(__file__).resolve().parent / "icons" / "hicolor"
SIZES = (48, 128, 256)
# Channel difference tolerated by --check: another Qt version may anti-alias an edge differently.
TOLERANCE = 8


def icon_path(size: int) -> Path:
    """Where the PNG of one size lives in the hicolor tree."""
    return ICON_DIR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(size: int):
    """The SVG rendered at size x size on a transparent background (a QImage)."""
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def largest_difference(a, b) -> int:
    """The largest channel difference between two same-sized images (a big number if not)."""
    from PySide6.QtGui import QImage

    if a.size() != b.size():
        return 256
    a = a.convertToFormat(QImage.Format.Format_RGBA8888)
    b = b.convertToFormat(QImage.Format.Format_RGBA8888)
    pa, pb = bytes(a.constBits()), bytes(b.constBits())
    return max((abs(x - y) for x, y in zip(pa, pb, strict=True)), default=0)


def stale_icons() -> list[Path]:
    """The committed PNGs that are missing or differ from a fresh render."""
    from PySide6.QtGui import QImage

    stale = []
    for size in SIZES:
        path = icon_path(size)
        committed = QImage(str(path))
        if committed.isNull() or largest_difference(committed, render(size)) > TOLERANCE:
            stale.append(path)
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the committed PNGs")
    args = parser.parse_args()
    if args.check:
        stale = stale_icons()
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for size in SIZES:
        path = icon_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(size).save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
