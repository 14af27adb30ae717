"""Put this directory on ``sys.path`` so that workers can import the toy jobs by name.

The toy jobs live in the plain module ``jobs_fixtures`` next to this file and are
pickled by reference; forked workers and the spawned Dask workers started by the
tests inherit ``sys.path``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
