"""`humanaes library import-results DIR`: the Parquet rows of a cluster job -> the library.

Needs pyarrow (the cluster extra), not Ray. Error rows are reported, not stored: the desktop
still lists those photos as it did, and scores them itself if it can.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)
EXTRA_HINT = "pip install 'humanaes-desktop[cluster]'"


def import_folder(library, folder: Path, out: TextIO) -> int:
    """Import every result row under `folder`; 0, or 1 when some photos had error rows."""
    from humanaes_desktop.cluster.results import assessment_from_result, read_rows, result_files
    from humanaes_desktop.library.result_import import ImportedResult

    if not folder.is_dir() or not result_files(folder):
        raise UserError(f"{folder} holds no result files (*.parquet) of `humanaes cluster score`")
    results, errors, synthetic = [], [], 0
    for row in read_rows(folder):
        if row["error"] is not None:
            errors.append(_error_line(row))
            continue
        assessment = assessment_from_result(row)
        synthetic += assessment.synthetic
        results.append(
            ImportedResult(row["fingerprint"], assessment, row["scored_at"], row["library_path"])
        )
    report = library.import_results(results)
    print(
        f"imported {report.matched} results into {report.images_updated} photos of "
        f"{library.path}; {report.unknown} results for photos this library does not know",
        file=out,
    )
    for path in report.unknown_paths:
        print(f"  not in the library: {path}", file=out)
    if report.made_current and library.sidecars.settings().write_scores:
        print(
            f"  {len(report.made_current)} photos' XMP sidecars owe the new scores: the app writes"
            " them when it starts, or run `humanaes library xmp sync`",
            file=out,
        )
    if synthetic:
        print(
            f"  {synthetic} results are from a SYNTHETIC model: their scores mean nothing", file=out
        )
    if errors:
        print(f"{len(errors)} photos could not be scored on the cluster:", file=out)
        for line in errors[:20]:
            print(f"  {line}", file=out)
    return 1 if errors else 0


def _error_line(row: dict) -> str:
    """ "path: reason", without the file name the decoder's reasons already start with."""
    path, reason = row["library_path"], row["reason"] or row["error"]
    return f"{path}: {reason.removeprefix(Path(path).name + ': ')}"
