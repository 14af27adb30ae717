"""Toy jobs for the tests of tests/prover/jobs/.

Top-level functions of an importable module, so worker processes (forked local
workers, spawned Dask workers) can unpickle them by reference.  The conftest.py of this directory
puts it on ``sys.path`` before a Dask cluster is started, and the
spawned workers inherit that path.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from prover.jobs import Dep, Job, JobRejected

log = logging.getLogger("tests.jobs_fixtures")


def leaf(i: int) -> int:
    """A leaf value: a distinct, order-sensitive number."""
    return i * i + 1


def combine(left: int, right: int) -> int:
    """An order-sensitive combination of two children (not commutative)."""
    return (3 * left + 7 * right) % 1_000_003


def expected_tree(leaves: int) -> int:
    """The root of :func:`tree_jobs` computed directly."""
    level = [leaf(i) for i in range(leaves)]
    while len(level) > 1:
        level = [combine(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def tree_jobs(leaves: int) -> list[Job]:
    """A binary aggregation tree: ``leaf/i`` jobs, then ``agg/<level>/<i>`` nodes up to ``root``."""
    jobs = [Job(f"leaf/{i}", leaf, (i,)) for i in range(leaves)]
    keys = [j.key for j in jobs]
    level = 1
    while len(keys) > 1:
        parents = []
        for i in range(0, len(keys), 2):
            key = "root" if len(keys) == 2 else f"agg/{level}/{i // 2}"
            jobs.append(Job(key, combine, (Dep(keys[i]), Dep(keys[i + 1]))))
            parents.append(key)
        keys = parents
        level += 1
    return jobs


def sleep_then(seconds: float, value: object) -> object:
    """Sleep, then return ``value``."""
    time.sleep(seconds)
    return value


def identity(value: object) -> object:
    """Return the argument (a no-op job for measuring overhead)."""
    return value


def crash_once(marker: str, value: int) -> int:
    """Kill the worker process the first time (when ``marker`` does not exist yet)."""
    path = Path(marker)
    if not path.exists():
        path.write_text("crashed")
        os._exit(17)
    return value


def always_crash(value: int) -> int:
    """Kill the worker process, every time."""
    os._exit(17)


def reject(reason: str) -> int:
    """An invalid input: raise JobRejected."""
    raise JobRejected(reason)


def count_and_reject(counter: str, reason: str) -> int:
    """Append a line to ``counter`` (to count attempts), then reject."""
    with open(counter, "a") as f:
        f.write("x\n")
    raise JobRejected(reason)


def count_and_fail(counter: str) -> int:
    """Append a line to ``counter``, then raise an ordinary exception."""
    with open(counter, "a") as f:
        f.write("x\n")
    raise ValueError("boom")


def log_and_return(message: str) -> int:
    """Log a warning in the worker, then return its pid."""
    log.warning("from worker %d: %s", os.getpid(), message)
    return os.getpid()


def unpicklable_result() -> object:
    """Return something that cannot be pickled back to the parent."""
    return lambda: None


def lde_checksum(seed: int) -> int:
    """A real numba kernel (the prover's LDE) on random rows, reduced to a number."""
    from prover.ntt import lde

    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 2**32, size=(4, 1 << 10), dtype=np.uint64)
    return int(lde(rows, 2).sum() % 1_000_003)


def record_pid_then_sleep(directory: str, seconds: float) -> int:
    """Write a file named after this worker's pid into ``directory``, then sleep (a long job)."""
    (Path(directory) / str(os.getpid())).write_text("running")
    time.sleep(seconds)
    return os.getpid()


REFAULT_BYTES = 64 << 20
"""Size of the array :func:`refault_pages` frees and allocates again (above glibc's largest mmap threshold)."""

PAGE_BYTES = 4096


def refault_pages(nbytes: int = REFAULT_BYTES) -> int:
    """Minor page faults taken by filling a fresh ``nbytes`` array after an array of that size was freed.

    About ``nbytes / PAGE_BYTES`` with glibc's defaults (the freed array went back to
    the OS); about zero in a process that keeps freed memory.  A ``bytes`` object,
    not a numpy array: numpy asks for transparent huge pages, one fault per 2 MB.
    """
    import resource

    len(b"\x01" * nbytes)  # allocated, written and freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    len(b"\x01" * nbytes)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def proof_threads_then_lde(seed: int) -> tuple[int, int]:
    """The threads this job's proofs may use, and an LDE checksum computed on them."""
    from prover.threads import proof_threads

    return proof_threads(), lde_checksum(seed)


def threads_at_start_and_after(seconds: float, cores: int) -> tuple[int, int]:
    """The proof threads when this job starts, and the count once it reaches ``cores`` (polled for ``seconds``)."""
    import time

    from prover.threads import proof_threads

    first = proof_threads()
    deadline = time.monotonic() + seconds
    while proof_threads() != cores and time.monotonic() < deadline:
        time.sleep(0.01)
    return first, proof_threads()
