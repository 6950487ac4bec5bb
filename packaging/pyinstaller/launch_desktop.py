"""Entry script of the bundle's `humanaes-desktop` (the GUI): PyInstaller runs it as __main__."""

import sys

from humanaes_desktop.frozen import prepare_frozen_runtime

prepare_frozen_runtime()  # before anything imports transformers

from humanaes_desktop.app import main  # noqa: E402

sys.exit(main())
