"""Culling: the instant first pass (sharpness, exposure, faces, eyes, hashes, capture time) and
the grouping of a shoot into bursts, sets and scenes with a suggested best frame. Torch-free,
Qt-free, SQL-free: the library stores what this computes."""
