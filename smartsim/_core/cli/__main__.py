"""``python -m smartsim._core.cli``: the ``smart`` command."""

import sys

from smartsim._core.cli import main

sys.exit(main())
