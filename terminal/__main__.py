"""Run the ``optimus`` command as ``python -m terminal``."""

import sys

from terminal.cli import main

sys.exit(main())
