"""Helpers shared by the test suite and the benchmarks (photos, libraries, assessments, waiting)."""
