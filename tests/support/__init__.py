"""Helpers shared by the test suite and the benchmarks, imported as `tests.support.<module>`.

- photos: the sample photos that ship in tests/data/photos
- assessments: model identities, `make_assessment`, known details for the breakdown widgets
- libraries: real SQLite libraries filled with generated images and known scores
- waiting: `wait_until`, for work that has no signal to wait on
- worker_doubles: in-memory job store, engine and decoder for the scoring worker's tests
- watch_process: running `humanaes watch` as a subprocess and reading its database
"""
