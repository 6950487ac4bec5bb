"""`humanaes library rate` and `humanaes library xmp …`: ratings and XMP sidecars headless.

rate     set stars, pick/reject and colour label of photos (the GUI's code path: the database
         first, then the sidecars)
xmp      status | sync | set | resolve: the sidecar sync of the library
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from humanaes_desktop.errors import UserError

LABELS = ("red", "yellow", "green", "blue", "purple", "none")
SETTINGS_HELP = (
    "enabled on|off, write_scores on|off, write_synthetic on|off, naming"
    " name.ext.xmp|name.xmp|both, reject_as_minus_one on|off, digikam on|off,"
    " conflict_policy ask|app|file|newest"
)


def add_action(subparsers, name: str, help_text: str, handler) -> argparse.ArgumentParser:
    """One `humanaes library …` sub-command with the common --db option."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--db", type=Path, metavar="FILE", help="library database file")
    parser.set_defaults(handler=handler)
    return parser


def add_actions(action) -> None:
    """Add `rate` and `xmp` to `humanaes library`; `action(name, help, handler)` makes one."""
    rate = action("rate", "set stars, pick/reject and colour label; sidecars follow", run_rate)
    rate.add_argument("photos", type=Path, nargs="+", metavar="PHOTO")
    rate.add_argument("--stars", type=int, choices=range(6), metavar="N", help="0-5")
    flag = rate.add_mutually_exclusive_group()
    flag.add_argument("--pick", dest="flag", action="store_const", const=1)
    flag.add_argument("--reject", dest="flag", action="store_const", const=-1)
    flag.add_argument("--unflag", dest="flag", action="store_const", const=0)
    rate.add_argument("--label", choices=LABELS, help="colour label (none clears it)")

    xmp = action("xmp", "XMP sidecars: status, sync, settings, conflicts", run_xmp_status)
    xmp_sub = xmp.add_subparsers(dest="xmp_command", metavar="ACTION")

    def xmp_action(name: str, help_text: str, handler) -> argparse.ArgumentParser:
        return add_action(xmp_sub, name, help_text, handler)

    xmp_action("status", "settings, owed writes, conflicts and sidecar errors", run_xmp_status)
    sync = xmp_action("sync", "read back and write every sidecar now", run_xmp_sync)
    sync.add_argument("photos", type=Path, nargs="*", metavar="PHOTO", help="default: all")
    setting = xmp_action("set", f"change a sidecar setting: {SETTINGS_HELP}", run_xmp_set)
    setting.add_argument("key")
    setting.add_argument("value")
    resolve = xmp_action("resolve", "settle sync conflicts", run_xmp_resolve)
    resolve.add_argument("photos", type=Path, nargs="*", metavar="PHOTO", help="default: all")
    choice = resolve.add_mutually_exclusive_group(required=True)
    choice.add_argument("--keep-app", dest="choice", action="store_const", const="app")
    choice.add_argument("--take-file", dest="choice", action="store_const", const="file")
    choice.add_argument("--newest", dest="choice", action="store_const", const="newest")
    resolve.add_argument("--remember", action="store_true", help="settle future ones the same way")


def _opened(args: argparse.Namespace):
    from humanaes_desktop.commands.library import _opened as opened

    return opened(args)


def _image_ids(library, photos: list[Path]) -> list[int]:
    found = library.find_images([str(p) for p in photos])
    unknown = [str(p) for p in photos if str(p.expanduser().resolve()) not in found]
    if unknown:
        raise UserError(
            f"{unknown[0]} is not in the library"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
            + "; add its folder with `humanaes library add FOLDER`."
        )
    return list(dict.fromkeys(found.values()))


def run_rate(args: argparse.Namespace) -> int:
    """Rate photos, then write their sidecars before exiting."""
    if args.stars is None and args.flag is None and args.label is None:
        raise UserError("Nothing to set: give --stars, --pick/--reject/--unflag or --label.")
    color = None if args.label is None else ("" if args.label == "none" else args.label)
    with _opened(args) as library:
        ids = _image_ids(library, args.photos)
        changed = library.set_rating(ids, stars=args.stars, flag=args.flag, color=color)
        print(f"rated {len(changed)} photo(s)")
        _report_writes(library, library.sidecars.write_pending())
    return 0


def _report_writes(library, synced: int) -> None:
    if not library.sidecars.settings().enabled:
        print("sidecars: off for this library (`humanaes library xmp set enabled on`)")
        return
    status = library.sidecars.status()
    print(f"sidecars: {synced} synced, {status.pending} still owed, {status.errors} with errors")
    for problem in library.sidecars.problems():
        print(f"  {problem.path}: {problem.error}", file=sys.stderr)


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def run_xmp_status(args: argparse.Namespace) -> int:
    """Print the sidecar settings, counts, conflicts and errors."""
    with _opened(args) as library:
        status = library.sidecars.status()
        s = status.settings
        print(
            f"sidecars {_on_off(s.enabled)}; scores {_on_off(s.write_scores)}"
            f" (synthetic {_on_off(s.write_synthetic)}); new files named {s.naming};"
            f" rejects as -1 {_on_off(s.reject_as_minus_one)}; digiKam {_on_off(s.digikam)};"
            f" conflicts: {s.conflict_policy}"
        )
        print(
            f"{status.sidecars} sidecars known, {status.pending} owed an update,"
            f" {status.conflicts} conflicts, {status.errors} errors"
        )
        for c in library.sidecars.conflicts():
            print(f"  conflict {c.path}: {c.field} app={c.app_value!r} file={c.file_value!r}")
        for problem in library.sidecars.problems():
            print(f"  error {problem.path}: {problem.error}")
    return 0


def _progress(done: int, total: int) -> None:
    if total and (done == total or done % 500 == 0):
        print(f"  synced {done}/{total} photos", file=sys.stderr)


def run_xmp_sync(args: argparse.Namespace) -> int:
    """Read back and write the sidecars of all (or the given) photos."""
    with _opened(args) as library:
        if not library.sidecars.settings().enabled:
            raise UserError(
                "Sidecars are off for this library; `humanaes library xmp set enabled on`."
            )
        ids = _image_ids(library, args.photos) if args.photos else None
        _report_writes(library, library.sidecars.sync(ids, _progress))
    return 0


def _setting_value(key: str, text: str):
    lowered = text.lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("off", "false", "no", "0"):
        return False
    return text


def run_xmp_set(args: argparse.Namespace) -> int:
    """Change one sidecar setting of the library."""
    with _opened(args) as library:
        try:
            library.sidecars.update_settings(**{args.key: _setting_value(args.key, args.value)})
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        print(f"{args.key} = {args.value}")
    return 0


def run_xmp_resolve(args: argparse.Namespace) -> int:
    """Settle conflicts by keeping the app's value, taking the file's, or the newest."""
    with _opened(args) as library:
        ids = _image_ids(library, args.photos) if args.photos else None
        settled = library.sidecars.resolve(args.choice, ids, remember=args.remember)
        print(f"settled {settled} conflict(s)")
        if args.remember:
            print(f"future conflicts: {args.choice}")
    return 0
