"""Known quick scores for the sample photos, for tests of the order of the full passes.

camera and coffee tie on purpose (the newer one goes first); the rest are all distinct.
"""

from __future__ import annotations

QUICK_SCORES: dict[str, float] = {
    "astronaut.png": 0.40,
    "camera.png": 0.70,
    "chelsea.png": 0.55,
    "coffee.png": 0.70,
    "grace_hopper.jpg": 0.20,
    "rocket.jpg": 0.90,
}
