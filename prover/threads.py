"""How many threads one proof may use, and running a kernel on contiguous parts of its range on them.

The executor sets the count (``prover.jobs``: the local pool shares the cores among its busy
workers, so a lone proof on a 2-core machine gets 2 and a full pool 1 each); it is 1 unless
set. The local pool's workers follow a count the pool updates while they run
(:func:`follow_proof_threads`): a job whose neighbours finish gets their cores from its next
parallel step on. The kernels split this way (Merkle hashing, the NTTs' rows and row gathers,
the quotient's blocks, the matrix-vector products, the permutation argument's rows, the proof
of work's candidates) are numba functions with ``nogil=True`` working on disjoint output
ranges, so plain Python threads run them in parallel, and each part computes exactly what the
one-thread call computes on its range (field arithmetic is exact, so a product split into parts
is the same product): the results, and so the proofs, do not depend on the count.

Python threads rather than numba's ``parallel=True``: numba's OpenMP layer aborts a process
forked after it started (the local pool forks its workers), and its fork-safe layer is not
thread-safe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

_threads = 1
_shared: tuple[Sequence[int], int] | None = None


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def proof_threads() -> int:
    """The threads a proof in this process may use now (1 unless the executor set more)."""
    if _shared is not None:
        counts, index = _shared
        return max(1, int(counts[index]))
    return _threads


def set_proof_threads(threads: int) -> None:
    """Let proofs in this process use ``threads`` threads (at least 1), fixed until set again."""
    global _threads, _shared
    if threads < 1:
        raise ValueError(f"a proof needs at least one thread, got {threads}")
    _threads = threads
    _shared = None


def follow_proof_threads(counts: Sequence[int], index: int) -> None:
    """From now on read the count from ``counts[index]`` (at least 1) at every parallel step.

    ``counts`` is memory the executor shares with this process and rewrites while a proof
    runs; results do not depend on the count, so a change in the middle of a proof is safe.
    """
    global _shared
    _shared = (counts, index)


def run_in_parts(total: int, run: Callable[[int, int], None], threads: int, min_part: int = 1) -> None:
    """run(start, stop) on up to ``threads`` contiguous parts of range(total), each of at least ``min_part``.

    One part runs on the calling thread; more run on a pool of threads that exists for this call only.
    """
    parts = max(1, min(threads, total // max(1, min_part)))
    if parts == 1:
        run(0, total)
        return
    bounds = [total * i // parts for i in range(parts + 1)]
    with ThreadPoolExecutor(parts, thread_name_prefix="proof") as pool:
        for future in [pool.submit(run, bounds[i], bounds[i + 1]) for i in range(parts)]:
            future.result()
