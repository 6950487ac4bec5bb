"""XMP sidecars: ratings, picks, labels (and, when asked, scores) where other photo tools read them.

packet   hardened parsing and the property view        names    which sidecars belong to a photo
splice   byte-level edits of the raw packet             edit     changes made and proven safe
fields   our fields and other tools' copies of them    merge    the three-way merge of one field
atomic   temp file, fsync, rename, fsync the folder     embedded XMP inside JPEGs (read only)
state    what the database knows and records            sync     one photo, both directions
imports  reading back at scans and watcher events       writer   the debounced write-behind queue
options  the library's sidecar settings                 service  `Library.sidecars`, the facade
records  plain records for the UI (no SQLAlchemy, no lxml)

docs/xmp.md describes the behaviour for users.
"""
