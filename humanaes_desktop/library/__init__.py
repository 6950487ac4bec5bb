"""SQLite store, folder scanning and watching, the persistent job queue. No Qt, no torch."""
