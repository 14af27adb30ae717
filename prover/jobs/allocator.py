"""Allocator settings for proving workers: keep freed memory in the process.

A proof allocates and frees arrays of several to tens of MB (LDE columns, the
quotient, Merkle layers).  With glibc's defaults each array above the mmap
threshold (at most 32 MB, adjusted as blocks are freed) is a fresh ``mmap``
and goes back to the OS when freed, and the heap's top is trimmed above
128 kB: the next proof takes a page fault for every 4 kB page it touches again.
A proving worker does the same work over and over, so it keeps what it freed:

* ``M_MMAP_MAX = 0`` - no allocation is served by ``mmap``; large arrays come
  from the heap and return to it;
* ``M_TRIM_THRESHOLD = 2^31 - 1`` (the largest value ``mallopt`` takes) - the
  heap's top is not given back to the OS below 2 GB.

The cost is resident memory: a worker keeps its peak (one proof's arrays,
hundreds of MB at 2^13 rows) until it exits.  Only workers call this; the
parent process of a run keeps glibc's defaults.  On other C libraries the
settings do not exist and :func:`keep_freed_memory` does nothing.
``bench/allocator.py`` measures page faults and CPU per proof with and without.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1
"""``mallopt`` parameter: free heap top above this many bytes goes back to the OS (``<malloc.h>``)."""

M_MMAP_MAX = -4
"""``mallopt`` parameter: how many allocations may be served by ``mmap`` at once (``<malloc.h>``)."""

PROVER_MALLOC_SETTINGS: dict[int, int] = {M_MMAP_MAX: 0, M_TRIM_THRESHOLD: 2**31 - 1}
"""The settings :func:`keep_freed_memory` applies, ``mallopt`` parameter -> value."""


def keep_freed_memory() -> bool:
    """Apply :data:`PROVER_MALLOC_SETTINGS` to this process with glibc's ``mallopt``.

    Returns whether every setting was accepted (False off glibc, where nothing changes).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in PROVER_MALLOC_SETTINGS.items())
