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
import threading
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


def _helpers(count: int) -> ThreadPoolExecutor:
    """The process's pool of helper threads, with room for at least ``count`` (kept between calls).

    A parallel step costs a submission to threads that already exist, not the start of new
    ones (about 0.2 ms of wall time per step, several hundred steps per proof).
    """
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < count:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(count, thread_name_prefix=_HELPER_PREFIX), count
        return _pool


def _forget_helpers() -> None:
    """In a forked child: the parent's helper threads do not exist there, so start a pool afresh."""
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


_HELPER_PREFIX = "proof-helper"
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def run_in_parts(total: int, run: Callable[[int, int], None], threads: int, min_part: int = 1) -> None:
    """run(start, stop) on up to ``threads`` contiguous parts of range(total), each of at least ``min_part``.

    The first part runs on the calling thread, the others on the process's helper threads;
    a call from a helper thread runs on that thread alone (so a helper never waits for another).
    """
    parts = max(1, min(threads, total // max(1, min_part)))
    if parts == 1 or threading.current_thread().name.startswith(_HELPER_PREFIX):
        run(0, total)
        return
    bounds = [total * i // parts for i in range(parts + 1)]
    pool = _helpers(parts - 1)
    futures = [pool.submit(run, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        run(bounds[0], bounds[1])
    finally:
        for future in futures:
            future.result()
