"""``python -m rollup.node --dir DIR ...``: the same as ``rollup node --dir DIR ...``."""

import sys

from rollup.node.command import main

sys.exit(main())
