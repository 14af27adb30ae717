"""``python -m rollup.cli``: the ``rollup`` command."""

import sys

from rollup.cli.parser import main

sys.exit(main())
