"""`humanaes taste fit|show|reset`: the ranking learnt from your own ratings, for scripts and tests.

fit    learn it now from the library's rated photos (and say whether it beats the MetaVoter order)
show   what was learnt: how well it does on held-out ratings, what it values, whether it is offered
reset  forget it
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from humanaes_desktop.engine.dimensions import BY_KEY


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `taste` and its actions to the CLI."""
    parser = subparsers.add_parser("taste", help="learn a ranking from your own ratings")
    sub = parser.add_subparsers(dest="taste_command", metavar="ACTION")
    sub.required = True
    for name, text, handler in (
        ("fit", "learn your taste from the rated photos now", run_fit),
        ("show", "show the learnt taste and how well it does", run_show),
        ("reset", "forget the learnt taste", run_reset),
    ):
        action = sub.add_parser(name, help=text, description=text)
        action.add_argument("--db", type=Path, metavar="FILE", help="library database file")
        action.add_argument("--format", choices=("text", "json"), default="text")
        action.set_defaults(handler=handler)


def run_fit(args: argparse.Namespace) -> int:
    from humanaes_desktop.commands.library import _opened
    from humanaes_desktop.taste.service import fit_taste

    with _opened(args) as library:
        model = fit_taste(library)
    _print(model, args.format)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from humanaes_desktop.commands.library import _opened
    from humanaes_desktop.taste.service import stored_taste

    with _opened(args) as library:
        model = stored_taste(library)
    if model is None:
        print("No taste learnt yet: rate photos, then run `humanaes taste fit`.", file=sys.stderr)
        return 1
    _print(model, args.format)
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from humanaes_desktop.commands.library import _opened

    with _opened(args) as library:
        forgotten = library.reset_taste()
    print("The learnt taste is forgotten." if forgotten else "No taste was learnt.")
    return 0


def _print(model, fmt: str) -> None:
    if fmt == "json":
        document = model.to_document()
        document["explanation"] = model.explanation()
        document["dimension_emphasis"] = model.dimension_emphasis() if model.fitted else {}
        print(json.dumps(document, indent=2))
        return
    print(
        ("Sort by your taste: ON. " if model.offered else "Sort by your taste: off. ")
        + model.reason
    )
    if not model.fitted:
        return
    print(model.explanation())
    print("What weighs for you beyond the overall score (share of the model's weight):")
    for key, share in sorted(model.dimension_emphasis().items(), key=lambda kv: -kv[1]):
        bar = ("+" if share > 0 else "-") * max(1, round(abs(share) * 40))
        print(f"  {BY_KEY[key].name:<36} {share:+.2f} {bar}")
