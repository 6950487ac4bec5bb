"""The app's log file: rotating, in the user's log directory, so a crash report can point at it.

No Qt here; ui/crash.py adds the Qt message routing on top.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from humanaes_desktop.paths import data_dir

LOG_FILE_NAME = "humanaes-desktop.log"
MAX_LOG_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 3
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def default_log_dir() -> Path:
    """<data dir>/logs (honours HUMANAES_DATA_DIR like the rest of the app)."""
    return data_dir() / "logs"


def configure_logging(log_dir: Path | str | None = None, level: int = logging.INFO) -> Path:
    """Send the root logger to a rotating file in `log_dir`; returns the log file's path.

    Calling it again with the same directory does not add a second handler (no doubled lines).
    """
    directory = Path(log_dir) if log_dir is not None else default_log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log_file = (directory / LOG_FILE_NAME).resolve()
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "baseFilename", None) == str(log_file):
            return log_file
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_LOG_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    logging.getLogger(__name__).info("logging to %s", log_file)
    return log_file


def remove_log_file_handler(log_file: Path) -> None:
    """Detach and close the handler writing `log_file` (tests, and a clean shutdown)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(Path(log_file).resolve()):
            root.removeHandler(handler)
            handler.close()
