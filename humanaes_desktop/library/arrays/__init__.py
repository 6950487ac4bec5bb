"""The gallery's sort and filter keys of every photo, in memory (see gallery_arrays.py)."""
