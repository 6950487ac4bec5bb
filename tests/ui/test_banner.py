"""The synthetic-model banner is visible exactly while a synthetic model is loaded."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from humanaes_desktop.ui.window.synthetic_banner import SYNTHETIC_MESSAGE, SyntheticBanner


def test_banner_follows_the_synthetic_flag(qtbot):
    window = QWidget()  # as in the app: the banner is a strip inside the main window
    qtbot.addWidget(window)
    banner = SyntheticBanner(window)
    window.show()
    assert not banner.isVisible()  # hidden until told a synthetic model is loaded
    banner.set_synthetic(True)
    assert banner.isVisible()
    assert banner.message_label.text() == SYNTHETIC_MESSAGE
    assert "meaningless" in SYNTHETIC_MESSAGE and "random weights" in SYNTHETIC_MESSAGE
    banner.set_synthetic(False)
    assert not banner.isVisible()


def test_banner_renders_in_its_warning_colour(qtbot):
    banner = SyntheticBanner()
    qtbot.addWidget(banner)
    banner.set_synthetic(True)
    banner.resize(900, 40)
    image = banner.grab().toImage()
    assert image.pixelColor(3, 3).name() == "#6c3483"
