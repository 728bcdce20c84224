"""``python -m tmscal.cli``: the ``tmscal`` command."""

import sys

from tmscal.cli import main

sys.exit(main())
