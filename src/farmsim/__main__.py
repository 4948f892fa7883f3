"""``python -m farmsim``: the same as the ``farmsim`` command."""

import sys

from farmsim.cli import main

sys.exit(main())
