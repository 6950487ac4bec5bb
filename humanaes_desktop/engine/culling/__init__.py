"""Culling: the instant first pass (sharpness, exposure, faces, eyes, hashes, capture time) and
the grouping of a shoot into bursts, sets and scenes with a suggested best frame. Torch-free,
Qt-free, SQL-free: the library stores what this computes."""

# Bumped whenever a first-pass measure changes meaning (working size, thresholds, hashes): stored
# signals of another version are recomputed. Here, not in signals.py, so the library can read it
# without importing OpenCV.
SIGNALS_VERSION = 1
