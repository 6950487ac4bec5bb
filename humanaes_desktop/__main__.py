import sys

from humanaes_desktop.cli import main

sys.exit(main())
