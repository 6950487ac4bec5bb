"""The committed hicolor PNGs are the scalable SVG rendered by Qt, at the sizes they claim."""

from __future__ import annotations

import subprocess
import sys

from desktop_tools import LINUX, ROOT
from PIL import Image

from humanaes_desktop.identity import APP_ID

RENDER = LINUX / "render_icons.py"


def check() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RENDER), "--check"], capture_output=True, text=True, timeout=120
    )


def test_each_png_has_its_size_and_a_transparent_corner():
    for size in (48, 128, 256):
        path = LINUX / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        with Image.open(path) as icon:
            assert icon.size == (size, size)
            assert icon.mode == "RGBA"
            assert icon.getpixel((0, 0))[3] == 0  # the rounded square leaves the corner clear
            assert icon.getpixel((size // 2, size // 2))[3] == 255


def test_the_pngs_match_a_fresh_render_of_the_svg():
    result = check()
    assert result.returncode == 0, result.stderr


def test_the_check_notices_a_stale_png(tmp_path, monkeypatch, qapp):
    sys.path.insert(0, str(LINUX))
    try:
        import render_icons
    finally:
        sys.path.remove(str(LINUX))
    monkeypatch.setattr(render_icons, "ICON_DIR", tmp_path)
    path = render_icons.icon_path(48)
    path.parent.mkdir(parents=True)
    Image.new("RGBA", (48, 48), (255, 0, 0, 255)).save(path)
    stale = render_icons.stale_icons()
    assert path in stale
    assert render_icons.icon_path(128) in stale  # missing counts as stale
    assert ROOT in render_icons.SVG.parents
