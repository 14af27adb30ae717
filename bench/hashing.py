"""Benchmarks of Poseidon2, Merkle trees and proof-of-work grinding (single thread).

Each ``bench_*`` function returns rows (name, value, unit); kernels are
compiled (or loaded from the numba cache) by a warm-up call before timing,
and deterministic workloads report the best of ``REPEAT`` runs (:mod:`bench.timing`).
``python -m bench.hashing [section ...]`` (from the repository root) prints them as a table.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np

from bench.inputs import random_elements
from bench.timing import CPU, Row, best_seconds, print_rows
from prover.hashing import permute_batch
from prover.merkle_tree import MerkleTree
from prover.ntt import bit_reverse_indices
from prover.pow import grind
from verifier.hashing import compress
from verifier.poseidon2 import WIDTH, permute, permute_reference
from verifier.transcript import Challenger


def _calls_per_second(fn: Callable[[], object], calls: int) -> float:
    def loop() -> None:
        for _ in range(calls):
            fn()

    return calls / best_seconds(loop)


def bench_permutations(batch: int = 1 << 17, scalar: int = 20_000, reference: int = 300) -> list[Row]:
    """Poseidon2 throughput: numba batch, jitted scalar ``permute``, pure-Python ``permute_reference``."""
    states = random_elements((batch, WIDTH))
    permute_batch(states[:1])
    state = random_elements((WIDTH,)).tolist()
    permute(state)
    rows: list[Row] = [
        ("Poseidon2 batch (numba)", batch / best_seconds(lambda: permute_batch(states)), "perm/s"),
        (
            "Poseidon2 permute (scalar, jitted)",
            _calls_per_second(lambda: permute(state), scalar),
            "perm/s",
        ),
        (
            "Poseidon2 permute_reference (Python ints)",
            _calls_per_second(lambda: permute_reference(state), reference),
            "perm/s",
        ),
    ]
    left, right = (1, 2, 3, 4), (5, 6, 7, 8)
    rows.append(
        (
            "verifier compress (scalar)",
            _calls_per_second(lambda: compress(left, right), scalar),
            "calls/s",
        )
    )
    return rows


def bench_merkle_tree(log_n: int = 16, width: int = 135, cap_height: int = 4) -> list[Row]:
    """Build time of a Merkle tree over 2^log_n leaves of ``width`` elements."""
    leaves = random_elements((1 << log_n, width))
    MerkleTree(leaves[:2], 0)
    return [
        (
            f"Merkle tree 2^{log_n} x {width} (cap {cap_height})",
            best_seconds(lambda: MerkleTree(leaves, cap_height)),
            "s",
        )
    ]


def bench_lde_commitment(log_n: int = 16, width: int = 135, cap_height: int = 4, repeat: int = 5) -> list[Row]:
    """Committing an LDE (width, 2^log_n) whose leaf j is column rev(j): gathered rows vs hashed in place.

    Before: transpose the LDE, gather its rows in bit-reversed order (two copies
    of the matrix), hash the rows. After: :meth:`MerkleTree.from_bit_reversed_columns`
    hashes the columns in place. Interleaved, CPU time, best of ``repeat``; the
    caps are checked equal. Sizes: the wires oracle of a 2^13-row proof.
    """
    values = random_elements((width, 1 << log_n))
    rev = bit_reverse_indices(log_n)

    def gathered() -> MerkleTree:
        return MerkleTree(np.ascontiguousarray(values.T)[rev], cap_height)

    def in_place() -> MerkleTree:
        return MerkleTree.from_bit_reversed_columns(values, cap_height)

    if gathered().cap != in_place().cap:
        raise AssertionError("the two commitments differ")
    best = {"gathered": float("inf"), "in place": float("inf")}
    for _ in range(repeat):
        for name, build in (("gathered", gathered), ("in place", in_place)):
            best[name] = min(best[name], best_seconds(build, repeat=1, clock=CPU))
    label = f"commit LDE {width} x 2^{log_n}"
    return [
        (f"{label}: transpose + gather rows + hash (before)", best["gathered"] * 1e3, "ms CPU"),
        (f"{label}: hash columns in place (after)", best["in place"] * 1e3, "ms CPU"),
    ]


def bench_pow(bits: int = 16, trials: int = 8) -> list[Row]:
    """Mean grinding time over ``trials`` transcripts (the work is geometric with mean 2^bits)."""
    grind(Challenger("warm-up"), 1)
    total = 0.0
    for trial in range(trials):
        challenger = Challenger(f"bench {trial}")
        total += best_seconds(lambda c=challenger: grind(c, bits), repeat=1)  # type: ignore[misc]
    return [(f"PoW {bits} bits (mean of {trials})", total / trials, "s")]


SECTIONS: dict[str, Callable[[], list[Row]]] = {
    "permutations": bench_permutations,
    "merkle": bench_merkle_tree,
    "lde": bench_lde_commitment,
    "pow": bench_pow,
}


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.hashing [section ...]`` (sections: permutations, merkle, lde, pow; default all)."""
    names = (sys.argv[1:] if argv is None else argv) or list(SECTIONS)
    print(f"load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    print_rows([row for name in names for row in SECTIONS[name]()])


if __name__ == "__main__":
    main()
