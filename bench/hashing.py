"""Benchmarks of Poseidon2, Merkle trees and proof-of-work grinding (single thread).

Each ``bench_*`` function returns rows (name, value, unit); kernels are
compiled (or loaded from the numba cache) by a warm-up call before timing,
and deterministic workloads report the best of ``REPEAT`` runs (:mod:`bench.timing`).
``python -m bench.hashing`` (from the repository root) prints them as a table.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.inputs import random_elements
from bench.timing import Row, best_seconds, print_rows
from prover.hashing import permute_batch
from prover.merkle_tree import MerkleTree
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


def bench_pow(bits: int = 16, trials: int = 8) -> list[Row]:
    """Mean grinding time over ``trials`` transcripts (the work is geometric with mean 2^bits)."""
    grind(Challenger("warm-up"), 1)
    total = 0.0
    for trial in range(trials):
        challenger = Challenger(f"bench {trial}")
        total += best_seconds(lambda c=challenger: grind(c, bits), repeat=1)  # type: ignore[misc]
    return [(f"PoW {bits} bits (mean of {trials})", total / trials, "s")]


def main() -> None:
    rows = [*bench_permutations(), *bench_merkle_tree(), *bench_pow()]
    print_rows(rows)


if __name__ == "__main__":
    main()
