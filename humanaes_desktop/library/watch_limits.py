"""The operating system's limits on watching folders (Linux inotify), and what to say about them.

inotify needs one watch per directory, and the number of watches a user may hold is capped
(`fs.inotify.max_user_watches`: 8,192 on older kernels, about 1% of RAM's worth — often
65,536 to 1,048,576 — on kernels from 5.11). watchdog watches a tree directory by directory
and, past the cap, silently skips the directories it cannot watch: new photos there would go
unnoticed. So after watching a tree the watcher asks the kernel for one more watch; if even
that is refused, the cap was reached and the tree may be watched only in part. Also capped:
the events queued before the app reads them (`fs.inotify.max_queued_events`, 16,384 by
default); past it the kernel drops events and says so, and the watcher rescans.

Elsewhere (macOS FSEvents, Windows) there is no per-directory cap: these checks say "no limit".
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

MAX_WATCHES_FILE = Path("/proc/sys/fs/inotify/max_user_watches")
SUGGESTED_WATCHES = 524_288  # ~0.5 GB of kernel memory at most; enough for large archives
_IN_CLOEXEC = 0o2000000
_IN_CREATE = 0x100


def max_user_watches() -> int | None:
    """The per-user cap on inotify watches, or None where there is none (or it is unreadable)."""
    try:
        return int(MAX_WATCHES_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def watches_in_use() -> int | None:
    """inotify watches this process holds (one per watched directory), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    count = 0
    for fd in os.listdir("/proc/self/fdinfo"):
        try:
            with open(f"/proc/self/fdinfo/{fd}") as info:
                count += sum(1 for line in info if line.startswith("inotify wd:"))
        except OSError:  # an fd closed while we looked
            continue
    return count


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def watch_limit_reached(path: str) -> bool:
    """True when the kernel refuses even one more inotify watch (the cap is reached)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    fd = libc.inotify_init1(_IN_CLOEXEC)
    if fd < 0:
        return ctypes.get_errno() == errno.EMFILE  # no instance left: as good as no watch
    try:
        wd = libc.inotify_add_watch(fd, os.fsencode(path), _IN_CREATE)
        return wd < 0 and ctypes.get_errno() == errno.ENOSPC
    finally:
        os.close(fd)  # closing the instance frees its watch


def watch_limit_advice(folder: str, limit: int | None, rescan_s: float) -> str:
    """What to tell the user when a folder cannot be watched completely."""
    cap = f" = {limit:,}" if limit is not None else ""
    minutes = max(1, round(rescan_s / 60))
    setting = f"fs.inotify.max_user_watches={SUGGESTED_WATCHES}"
    return (
        f"{folder} has more sub-folders than the system lets one user watch "
        f"(fs.inotify.max_user_watches{cap}), so new photos in some of them are found by a "
        f"rescan every {minutes} min instead of at once. To watch everything live, raise the "
        f"limit with `sudo sysctl {setting}` (and put {setting} in "
        f"/etc/sysctl.d/90-inotify.conf to keep it), then restart the app."
    )


class OverflowAlarm(logging.Handler):
    """Notices watchdog's report that the kernel dropped events (its inotify queue overflowed).

    watchdog logs it and rebuilds its watches, but cannot say which files the lost events were
    about; the watcher then rescans its folders. Attached to watchdog's logger while watching.
    """

    LOGGER = "watchdog.observers"

    def __init__(self, on_overflow) -> None:
        super().__init__(logging.WARNING)
        self._on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self._on_overflow()

    def attach(self) -> None:
        logging.getLogger(self.LOGGER).addHandler(self)

    def detach(self) -> None:
        logging.getLogger(self.LOGGER).removeHandler(self)
