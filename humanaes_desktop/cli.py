"""`humanaes`: the headless face of the application.

Each sub-command lives in its own module under `humanaes_desktop.commands` and exposes
`register(subparsers)`; the module is found automatically, so adding a command touches no shared file.
Modules whose names start with "_" are helpers of another command and are not registered.
A command's handler returns the process exit code. User errors raise `UserError` and are printed
as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from humanaes_desktop import commands
from humanaes_desktop.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="humanaes",
        description="Score photos by human-image aesthetics with HumanAesExpert (headless).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A hub lookup for a local folder hangs ~26 s before failing; the app never needs the hub
    # except in `model download`, which sets up its own access explicitly.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"humanaes: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("humanaes: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
