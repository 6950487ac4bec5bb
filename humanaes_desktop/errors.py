"""Exception types shared by every layer.

`UserError` and its subclasses carry a message written for the user (one sentence, what to do);
the CLI prints it without a traceback, the GUI shows it in a dialog. Everything else is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad input, a missing model, a refused folder."""
