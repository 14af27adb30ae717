"""Timing and printing shared by the benchmark commands (``python -m prover.bench_*``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

Row = tuple[str, float, str]
"""(what, value, unit)."""


REPEAT = 3
"""Runs per timed figure."""


def best_seconds(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Best wall time of ``repeat`` runs (the machine is shared: the minimum is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def print_rows(rows: Sequence[Row]) -> None:
    """One aligned line per row."""
    width = max(len(name) for name, _, _ in rows)
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>16,.3f}  {unit}")
