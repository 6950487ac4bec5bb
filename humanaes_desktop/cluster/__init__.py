"""Scoring an archive on a Ray cluster, and what travels between it and the library.

`manifest` (the photos to score; no Ray, no pyarrow), `results` (the Parquet rows; pyarrow),
`scorer` (what runs in each actor; no Ray import needed), `job` (the Ray Data pipeline: the only
module of the package allowed to import Ray, see tests/test_layers.py). Everything but
`manifest` needs the optional extra: pip install 'humanaes-desktop[cluster]'.
"""
