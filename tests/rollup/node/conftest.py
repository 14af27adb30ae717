"""Put this directory on ``sys.path``: the node tests share ``node_support`` (a node process, sessions)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
