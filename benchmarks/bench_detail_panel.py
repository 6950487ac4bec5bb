"""How long the GUI thread is busy when the selection moves to the next photo (culling with arrows).

Side by side in one run, on the same large JPEG files:
  (a) DetailPanel.show_detail: scores, bars, radar, texts on the GUI thread; the preview decodes
      on the thread pool (measured: GUI-thread time of the call, and wall time until the preview
      is on screen);
  (b) what a synchronous preview would cost the GUI thread: decode_scaled on the GUI thread.
Prints medians and the ratio a/b: the share of the decode the GUI thread no longer waits for.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_detail_panel.py [--photos N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402
from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from humanaes_desktop.ui.background.image_loader import decode_scaled  # noqa: E402
from humanaes_desktop.ui.breakdown.detail_panel import PREVIEW_DECODE_SIZE, DetailPanel  # noqa: E402
from tests.support.assessments import detailed_assessment, make_detail  # noqa: E402
from tests.support.photos import sample_photos  # noqa: E402


def make_photos(folder: Path, count: int) -> list[Path]:
    """`count` distinct 24-megapixel JPEGs made from the sample photos."""
    sources = sample_photos()
    paths = []
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as img:
            big = img.convert("RGB").resize((6000, 4000), Image.Resampling.BILINEAR)
        path = folder / f"photo_{i:03d}.jpg"
        big.save(path, quality=90)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=8)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    panel = DetailPanel()
    panel.resize(440, 1200)
    panel.show()
    with tempfile.TemporaryDirectory() as tmp:
        photos = make_photos(Path(tmp), args.photos)
        gui_ms, visible_ms, sync_ms = [], [], []
        for i, path in enumerate(photos):
            detail = make_detail(i + 1, "astronaut.png", detailed_assessment())
            detail = replace(detail, row=replace(detail.row, path=str(path), file_name=path.name))
            start = time.perf_counter()
            panel.show_detail(detail)
            app.processEvents()  # layout + paint of the new values, as the event loop would
            gui_ms.append((time.perf_counter() - start) * 1000)
            while panel.preview_pixmap().isNull():
                app.processEvents()
            visible_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            decode_scaled(str(path), QSize(PREVIEW_DECODE_SIZE))
            sync_ms.append((time.perf_counter() - start) * 1000)
    gui, visible, sync = (statistics.median(v) for v in (gui_ms, visible_ms, sync_ms))
    print(
        f"photos: {len(photos)} x 6000x4000 JPEG, preview decoded to fit "
        f"{PREVIEW_DECODE_SIZE.width()}x{PREVIEW_DECODE_SIZE.height()}"
    )
    print(f"(a) show_detail, GUI thread busy:      median {gui:7.1f} ms")
    print(f"    preview on screen after:           median {visible:7.1f} ms")
    print(f"(b) synchronous preview decode on GUI: median {sync:7.1f} ms")
    print(f"a/b GUI-thread time ratio: {gui / sync:.2f}")


if __name__ == "__main__":
    main()
