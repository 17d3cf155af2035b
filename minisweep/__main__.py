"""``python -m minisweep``: the same as the ``minisweep`` command."""

import sys

from .cli import main

sys.exit(main())
