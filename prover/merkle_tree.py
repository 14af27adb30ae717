"""Merkle trees with caps over rows of field elements (prover side).

For leaves of shape (n, w), n = 2^d: level 0 holds the leaf digests
``hash_rows(leaves)``; level k + 1 holds compress(node 2j, node 2j+1) of level k,
computed for the whole level in one batch call. Building stops at level
d - h, whose 2^h nodes are the cap (h = cap height; h = 0 gives the root).
Openings verify with :func:`verifier.merkle.verify_merkle_proof`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from prover.hashing import compress_pairs, hash_rows
from verifier.hashing import Digest
from verifier.merkle import MerkleProof

U64Array = npt.NDArray[np.uint64]


def _digest(row: U64Array) -> Digest:
    a, b, c, d = row.tolist()
    return (a, b, c, d)


class MerkleTree:
    """A Merkle tree over the rows of ``leaves`` (kept by reference, not copied), committed by its cap."""

    leaves: U64Array
    cap_height: int
    log_n: int
    levels: list[U64Array]
    """levels[k] has shape (n >> k, 4), for k = 0 .. log_n - cap_height."""

    def __init__(self, leaves: npt.ArrayLike, cap_height: int) -> None:
        rows = np.asarray(leaves, dtype=np.uint64)
        if rows.ndim != 2:
            raise ValueError(f"leaves must be an (n, w) array, got shape {rows.shape}")
        n = rows.shape[0]
        if n == 0 or n & (n - 1):
            raise ValueError(f"the number of leaves must be a power of two, got {n}")
        log_n = n.bit_length() - 1
        if not 0 <= cap_height <= log_n:
            raise ValueError(f"cap height {cap_height} not in [0, {log_n}] for {n} leaves")
        self.leaves = rows
        self.cap_height = cap_height
        self.log_n = log_n
        self.levels = [hash_rows(rows)]
        for _ in range(log_n - cap_height):
            self.levels.append(compress_pairs(self.levels[-1]))

    @property
    def cap(self) -> list[Digest]:
        """The 2^cap_height nodes at height log_n - cap_height, in index order."""
        return [_digest(row) for row in self.levels[-1]]

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.leaves.shape[0]:
            raise IndexError(f"leaf index {index} out of range for {self.leaves.shape[0]} leaves")

    def leaf(self, index: int) -> list[int]:
        """The field elements of leaf ``index``."""
        self._check_index(index)
        return self.leaves[index].tolist()  # type: ignore[no-any-return]

    def prove(self, index: int) -> MerkleProof:
        """Siblings of the path from leaf ``index`` up to the cap, bottom-up."""
        self._check_index(index)
        return MerkleProof(tuple(_digest(level[(index >> k) ^ 1]) for k, level in enumerate(self.levels[:-1])))
