"""The one timing helper of the benchmarks: best of ``repeat`` runs, in wall or CPU time; and the printed table.

A figure is ``min`` over runs of ``clock() after - clock() before``. The machine
is shared, so the minimum is the least disturbed run. ``WALL``
(``time.perf_counter``) is what a user waits; ``CPU`` (``time.process_time``,
this process only) is what other jobs on a shared machine disturb far less.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
WALL: Clock = time.perf_counter
CPU: Clock = time.process_time

REPEAT = 3
"""Runs per timed figure unless a benchmark says otherwise."""

Row = tuple[str, float, str]
"""(what, value, unit): one line of a benchmark table."""


class Best(NamedTuple, Generic[T]):
    """The least elapsed time over the runs, and what that run returned."""

    seconds: float
    result: T


def best_of(fn: Callable[[], T], repeat: int = REPEAT, clock: Clock = WALL) -> Best[T]:
    """Call ``fn`` ``max(1, repeat)`` times; the least ``clock`` difference and the result of that run."""
    best: Best[T] | None = None
    for _ in range(max(1, repeat)):
        start = clock()
        result = fn()
        elapsed = clock() - start
        if best is None or elapsed < best.seconds:
            best = Best(elapsed, result)
    assert best is not None
    return best


def best_seconds(fn: Callable[[], object], repeat: int = REPEAT, clock: Clock = WALL) -> float:
    """Only the seconds of :func:`best_of`."""
    return best_of(fn, repeat, clock).seconds


def print_rows(rows: Sequence[Row]) -> None:
    """One aligned line per row."""
    width = max(len(name) for name, _, _ in rows)
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>16,.3f}  {unit}", flush=True)
