"""``python -m surveyor``: the same as the ``surveyor`` command."""

import sys

from surveyor.cli import main

sys.exit(main())
