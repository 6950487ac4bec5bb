"""Fixtures shared by the engine tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def backend():
    """The culling pass's default face backend (OpenCV's Haar cascades, loaded once)."""
    from humanaes_desktop.engine.culling.faces import HaarFaceBackend

    return HaarFaceBackend()
