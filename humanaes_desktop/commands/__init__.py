"""Sub-commands of the `humanaes` CLI; every module here must define `register(subparsers)`.

A module sets `handler=<function(args) -> int>` on its sub-parser with `set_defaults`.
"""
