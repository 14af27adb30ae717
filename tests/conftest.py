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
