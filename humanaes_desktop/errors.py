"""Exception types shared by every layer.

`UserError` and its subclasses carry a message written for the user (one sentence, what to do);
the CLI prints it without a traceback, the GUI shows it in a dialog. Everything else is a bug.
"""

from __future__ import annotations

import re


class UserError(Exception):
    """A problem the user can fix: bad input, a missing model, a refused folder."""


def error_code(exc: BaseException) -> str:
    """A short snake_case code for an error's class (`TruncatedImageError` -> `truncated_image`),
    for machine-readable result lines."""
    name = re.sub(r"(Error|Exception)$", "", type(exc).__name__)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() or "error"
