"""XMP sidecar benchmarks, measured side by side in one run.

    .venv/bin/python benchmarks/bench_xmp.py                   # 20,000 photos, 5,000 writes
    .venv/bin/python benchmarks/bench_xmp.py --photos 100000 --writes 5000

1. Reading back at scan: an unchanged rescan of N JPEG files (10 % with sidecars) with the
   sidecar read-back, against the same rescan without it (the library scan alone).
2. The first scan's look inside every JPEG for embedded XMP (Lightroom's JPEG ratings), per photo.
3. Bulk writes ("Write metadata now" after rating 5,000 photos): one full sync per photo
   (read, merge, surgical edit, atomic write with two fsyncs, database record), against the bare
   atomic write of the same bytes (the fsync floor) and the in-memory edit alone.

Everything is generated under a temporary folder and deleted at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from humanaes_desktop.library import Library  # noqa: E402
from humanaes_desktop.library import scan as library_scan  # noqa: E402
from humanaes_desktop.library.xmp.atomic import write_atomic  # noqa: E402
from humanaes_desktop.library.xmp.edit import NEW_PACKET, Change, apply_changes  # noqa: E402
from humanaes_desktop.library.xmp.fields import NS_XMP  # noqa: E402
from humanaes_desktop.library.xmp.packet import parse_packet  # noqa: E402

FILES_PER_DIR = 1000


def tiny_jpeg(i: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (i % 256, (i // 256) % 256, (i // 65536) % 256)).save(buffer, "JPEG")
    return buffer.getvalue()


def write_tree(root: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        folder = root / f"dir{i // FILES_PER_DIR:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"img{i:07d}.jpg"
        path.write_bytes(tiny_jpeg(i))
        paths.append(path)
    return paths


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def bench_scan(work: Path, count: int) -> None:
    root = work / "tree"
    paths = write_tree(root, count)
    library = Library.open(work / "scan.sqlite3")
    folder = library.add_folder(root)
    first, _ = timed(lambda: library.scan_folder(folder.id))
    ids = library.find_images([str(p) for p in paths[::10]])
    library.set_rating(list(ids.values()), stars=3)
    library.sidecars.write_pending()
    plain, _ = timed(lambda: library_scan.scan_folder(library._db, folder.id))
    with_sidecars, _ = timed(lambda: library.scan_folder(folder.id))
    again, _ = timed(lambda: library.scan_folder(folder.id))
    library.close()
    print(f"first scan of {count} JPEGs (with the embedded-XMP look): {first:7.2f} s")
    print(f"unchanged rescan, library scan alone:        {plain:7.2f} s")
    print(
        f"unchanged rescan with sidecar read-back:     {with_sidecars:7.2f} s"
        f"  ({with_sidecars / plain:.2f}x; {len(ids)} sidecars)"
    )
    print(f"  again (no racily clean stamps left):       {again:7.2f} s  ({again / plain:.2f}x)")


def bench_embedded(work: Path, count: int) -> None:
    from humanaes_desktop.library.xmp.embedded import read_embedded_xmp

    paths = write_tree(work / "embedded", count)
    seconds, _ = timed(lambda: [read_embedded_xmp(str(p)) for p in paths])
    print(f"embedded-XMP look inside a JPEG: {seconds / count * 1e3:.3f} ms per photo")


def bench_writes(work: Path, count: int) -> None:
    root = work / "writes"
    paths = write_tree(root, count)
    library = Library.open(work / "writes.sqlite3")
    folder = library.add_folder(root)
    library.scan_folder(folder.id)
    library.set_rating(list(library.find_images([str(p) for p in paths]).values()), stars=4)
    full, done = timed(library.sidecars.write_pending)
    library.close()
    packet = parse_packet(NEW_PACKET)
    change = [Change(NS_XMP, "Rating", "4", True, "xmp")]
    edit, data = timed(lambda: [apply_changes(packet, change) for _ in range(count)])
    bare_dir = work / "bare"
    bare_dir.mkdir()
    bare, _ = timed(
        lambda: [
            write_atomic(str(bare_dir / f"{i}.xmp"), data[0], expect=None) for i in range(count)
        ]
    )
    print(f"bulk sync of {done} photos: {full / count * 1e3:6.2f} ms per photo ({full:.1f} s)")
    print(
        f"  bare atomic write (fsync floor): {bare / count * 1e3:6.2f} ms per photo"
        f"  -> full sync is {full / bare:.2f}x the floor"
    )
    print(f"  in-memory surgical edit + proof:  {edit / count * 1e3:6.3f} ms per photo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=5_000)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()}")
    work = Path(tempfile.mkdtemp(prefix="bench_xmp_"))
    try:
        bench_scan(work, args.photos)
        bench_embedded(work, min(args.photos, 5000))
        bench_writes(work, args.writes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
