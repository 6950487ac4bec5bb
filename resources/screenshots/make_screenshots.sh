#!/bin/sh
# Regenerates the README screenshots from the sample photos (tests/data/photos) scored by the tiny SYNTHETIC model.
# Run from the repository root: sh resources/screenshots/make_screenshots.sh
# Everything the app writes (settings, caches, the library) goes to a scratch folder.
set -eu

OUT=resources/screenshots
WORK=${TMPDIR:-/tmp}/humanaes-screenshots
PHOTOS=tests/data/photos
SIZE=1280x800
rm -rf "$WORK"
mkdir -p "$WORK"
export HUMANAES_DATA_DIR="$WORK/data"

.venv/bin/humanaes model synth --preset tiny --out "$WORK/tiny"

# 1. Live scoring: the folder is added (queued, nothing scored yet); the app scores it and the
#    shot is taken once 3 photos are done, with the progress bar and ETA in the status bar.
.venv/bin/humanaes library add --db "$WORK/live.sqlite3" "$PHOTOS"
.venv/bin/humanaes-desktop --library "$WORK/live.sqlite3" --model "$WORK/tiny" \
    --screenshot "$OUT/scoring.png" --while-scoring 3 --select 1 --size "$SIZE"

# 2. A scored library with a photographer's culling decisions (what P, X, 1-5 and 6-9 store).
.venv/bin/humanaes watch "$PHOTOS" --db "$WORK/lib.sqlite3" --model "$WORK/tiny" --once
.venv/bin/python - "$WORK/lib.sqlite3" <<'EOF'
import sys

from humanaes_desktop.library import Library
from humanaes_desktop.library.records import Flag, GalleryQuery

library = Library.open(sys.argv[1])
ids = {r.file_name: r.id for r in library.rows(library.query_ids(GalleryQuery()))}
library.set_rating([ids["grace_hopper.jpg"]], stars=5, flag=Flag.PICKED, color="green")
library.set_rating([ids["astronaut.png"]], stars=4, flag=Flag.PICKED)
library.set_rating([ids["camera.png"]], stars=2, color="yellow")
library.set_rating([ids["coffee.png"]], flag=Flag.REJECTED)
library.close()
EOF

for view in grid table compare; do
    select=1
    [ "$view" = compare ] && select=3
    .venv/bin/humanaes-desktop --library "$WORK/lib.sqlite3" --model "$WORK/tiny" \
        --screenshot "$OUT/$view.png" --view "$view" --select "$select" --size "$SIZE"
done

# 256-colour palettes keep each file under 200 KB for the README.
.venv/bin/python - "$OUT" <<'EOF'
import sys
from pathlib import Path

from PIL import Image

for name in ("scoring", "grid", "table", "compare"):
    path = Path(sys.argv[1]) / f"{name}.png"
    with Image.open(path) as shot:
        palette = shot.convert("RGB").quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
    palette.save(path, optimize=True)
    print(f"{path}: {path.stat().st_size // 1024} KB")
EOF
