"""Make tests/tests_support.py importable from every test directory, and the repository's bench/ folder as ``bench``.

bench/ (the benchmarks) is not installed with the product; tests/bench and the
large-circuit tests, which prove its Merkle workload, import it from the
repository root.
"""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
if str(TESTS.parent) not in sys.path:
    sys.path.insert(0, str(TESTS.parent))

from hypothesis import settings  # noqa: E402 - after the path set-up above, which it does not need

# Timing has no place in tests (the machine is shared and noisy): no Hypothesis deadline anywhere.
settings.register_profile("default", deadline=None)
settings.load_profile("default")
