"""Size of a built bundle, against the size recorded in packaging/README.md.

    .venv/bin/python packaging/bundle_size.py dist/humanaes-desktop [ARCHIVE]

prints the folder's size (the sum of its files' sizes), file count and the archive's size, then
compares the folder with the recorded size: more than 10% over it exits 1 (an unintended new
dependency, or a CUDA torch in a CPU build). After an intended change, record the new figure.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"
RECORDED = re.compile(r"Recorded size of the bundle folder: \*\*([\d,]+) bytes\*\*")
GROWTH_LIMIT = 1.10
MIB = 1024 * 1024


class BundleSizeError(Exception):
    """The recorded size is missing from the README."""


def folder_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) of every regular file under `folder`; symlinks are not followed."""
    total = count = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
                count += 1
    return total, count


def recorded_size(readme_text: str) -> int:
    """The bundle size recorded in the README, in bytes."""
    match = RECORDED.search(readme_text)
    if match is None:
        raise BundleSizeError(
            f"no line 'Recorded size of the bundle folder: **N bytes**' in {README}"
        )
    return int(match.group(1).replace(",", ""))


def size_problem(actual: int, recorded: int) -> str | None:
    """Why `actual` is too large against `recorded`, or None when within the limit."""
    if actual <= recorded * GROWTH_LIMIT:
        return None
    return (
        f"the bundle is {actual:,} bytes, {actual / recorded - 1:.0%} over the {recorded:,} bytes "
        f"recorded in packaging/README.md (limit +{GROWTH_LIMIT - 1:.0%}); find what grew "
        "(du -sh dist/humanaes-desktop/_internal/* | sort -h), and record the new size if intended"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("archive", type=Path, nargs="?")
    parser.add_argument(
        "--warn-only", action="store_true", help="report growth but exit 0 (make dist)"
    )
    args = parser.parse_args(argv)
    size, files = folder_size(args.bundle)
    print(f"bundle {args.bundle}: {size:,} bytes ({size / MIB:,.0f} MiB) in {files:,} files")
    if args.archive is not None:
        packed = args.archive.stat().st_size
        print(f"archive {args.archive}: {packed:,} bytes ({packed / MIB:,.0f} MiB)")
    recorded = recorded_size(README.read_text(encoding="utf-8"))
    problem = size_problem(size, recorded)
    if problem:
        print(f"bundle size: {'WARNING: ' if args.warn_only else ''}{problem}", file=sys.stderr)
        return 0 if args.warn_only else 1
    print(f"bundle size: {size / recorded:.1%} of the recorded {recorded:,} bytes (limit 110%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
