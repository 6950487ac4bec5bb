"""Ctrl+R on a big selection, and the views' decoder, side by side with what they replace.

    .venv/bin/python benchmarks/bench_requests.py                 # 5,000 of 20,000 images
    .venv/bin/python benchmarks/bench_requests.py --select 20000 --images 50000

1. Requests: `Library.request_assessments(ids)` (one transaction, set-based) against one
   `request_assessment(id)` transaction per photo (what Ctrl+R did), on two copies of the same
   synthetic library (benchmarks/synthetic_library.py).
2. Preview decode of a 24-megapixel JPEG to a 176-px thumbnail and a 1000-px preview:
   `decode_preview` (draft mode) against a full `open_image` decode plus a resize.

Everything is generated under a temporary folder and deleted at the end.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic_library import build_library  # noqa: E402
from humanaes_desktop.engine.assessment import PreprocessProfile  # noqa: E402
from humanaes_desktop.engine.images.loading import open_image  # noqa: E402
from humanaes_desktop.engine.images.preview import decode_preview  # noqa: E402
from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library.records import GalleryQuery  # noqa: E402


def bench_requests(root: Path, images: int, select: int) -> None:
    source = build_library(root / "source.sqlite3", n_images=images, seed=3)
    one_by_one, set_based = root / "one.sqlite3", root / "set.sqlite3"
    shutil.copy(source, one_by_one)
    shutil.copy(source, set_based)
    with Library.open(one_by_one) as lib:
        ids = lib.query_ids(GalleryQuery())[:select]
        started = time.perf_counter()
        queued_one = sum(lib.request_assessment(image_id) for image_id in ids)
        per_photo = time.perf_counter() - started
    with Library.open(set_based) as lib:
        started = time.perf_counter()
        queued_set = len(lib.request_assessments(ids))
        together = time.perf_counter() - started
    assert queued_one == queued_set, (queued_one, queued_set)
    print(f"requests: {len(ids)} of {images} images, {queued_set} queued")
    print(f"  one transaction per photo   {per_photo:8.2f} s")
    print(f"  request_assessments(ids)    {together:8.2f} s   ratio {per_photo / together:.0f}x")


def _median(fn, repeats: int = 5) -> float:
    fn()  # warm-up: the file in the page cache, the decoders loaded
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeats))


def bench_preview(root: Path) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    photo = root / "24mp.jpg"
    Image.fromarray(coarse).resize((6000, 4000), Image.Resampling.BICUBIC).save(photo, quality=90)
    full = PreprocessProfile()
    for edge in (176, 1000):
        draft = _median(lambda edge=edge: decode_preview(photo, edge))
        whole = _median(lambda edge=edge: open_image(photo, full).thumbnail((edge, edge)))
        print(f"preview of a 6000x4000 JPEG at {edge:4d} px")
        print(f"  full decode + resize        {whole * 1000:8.1f} ms")
        print(f"  decode_preview (draft)      {draft * 1000:8.1f} ms   ratio {whole / draft:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--select", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as scratch:
        root = Path(scratch)
        bench_requests(root, args.images, args.select)
        bench_preview(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
