"""SQLite store, folder scanning and watching, the persistent job queue. No Qt, no torch.

The public entry point is `Library`; records handed out are in `library.records`.
"""

from humanaes_desktop.library.library import Library, default_db_path

__all__ = ["Library", "default_db_path"]
