"""``python -m tmscal.cli``: the ``tmscal`` command (tests run it this way)."""

import sys

from tmscal.cli import main

sys.exit(main())
