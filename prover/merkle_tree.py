"""Merkle trees with caps over rows of field elements (prover side).

For leaves of shape (n, w), n = 2^d: level 0 holds the leaf digests
``hash_rows(leaves)``; level k + 1 holds compress(node 2j, node 2j+1) of level k,
computed for the whole level in one batch call. Building stops at level
d - h, whose 2^h nodes are the cap (h = cap height; h = 0 gives the root).
Openings verify with :func:`verifier.merkle.verify_merkle_proof`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from prover.hashing import compress_pairs, hash_columns_bit_reversed, hash_rows
from prover.ntt import bit_reverse_indices
from verifier.hashing import Digest
from verifier.merkle import MerkleProof

U64Array = npt.NDArray[np.uint64]
IndexArray = npt.NDArray[np.int64]


def _digest(row: list[int]) -> Digest:
    a, b, c, d = row
    return (a, b, c, d)


def _log_n(n: int, cap_height: int) -> int:
    """log2(n) for a tree of n leaves with a cap of height ``cap_height``; ValueError if they do not fit."""
    if n == 0 or n & (n - 1):
        raise ValueError(f"the number of leaves must be a power of two, got {n}")
    log_n = n.bit_length() - 1
    if not 0 <= cap_height <= log_n:
        raise ValueError(f"cap height {cap_height} not in [0, {log_n}] for {n} leaves")
    return log_n


class MerkleTree:
    """A Merkle tree over rows of field elements (kept by reference, not copied), committed by its cap.

    ``MerkleTree(leaves, h)`` takes the leaves as the rows of an (n, w) array;
    :meth:`from_bit_reversed_columns` takes a (w, n) array whose column rev(j) is
    leaf j (a committed LDE), hashed and opened in place.
    """

    cap_height: int
    log_n: int
    levels: list[U64Array]
    """levels[k] has shape (n >> k, 4), for k = 0 .. log_n - cap_height."""

    def __init__(self, leaves: npt.ArrayLike, cap_height: int) -> None:
        rows = np.asarray(leaves, dtype=np.uint64)
        if rows.ndim != 2:
            raise ValueError(f"leaves must be an (n, w) array, got shape {rows.shape}")
        _log_n(rows.shape[0], cap_height)
        self._build(rows.T, np.arange(rows.shape[0], dtype=np.int64), cap_height, hash_rows(rows))

    @classmethod
    def from_bit_reversed_columns(cls, columns: npt.ArrayLike, cap_height: int) -> MerkleTree:
        """The tree whose leaf j is column rev(j) of ``columns`` (w, n), rev the log2(n)-bit reversal."""
        values = np.asarray(columns, dtype=np.uint64)
        if values.ndim != 2:
            raise ValueError(f"columns must be a (w, n) array, got shape {values.shape}")
        log_n = _log_n(values.shape[1], cap_height)
        tree = cls.__new__(cls)
        tree._build(values, bit_reverse_indices(log_n), cap_height, hash_columns_bit_reversed(values))
        return tree

    def _build(self, columns: U64Array, positions: IndexArray, cap_height: int, digests: U64Array) -> None:
        """Leaf j is column ``positions[j]`` of ``columns``; ``digests`` are the leaf digests (level 0)."""
        self._columns = columns
        self._positions = positions
        self.cap_height = cap_height
        self.log_n = _log_n(columns.shape[1], cap_height)
        self.levels = [digests]
        for _ in range(self.log_n - cap_height):
            self.levels.append(compress_pairs(self.levels[-1]))

    @property
    def num_leaves(self) -> int:
        return 1 << self.log_n

    @property
    def cap(self) -> list[Digest]:
        """The 2^cap_height nodes at height log_n - cap_height, in index order."""
        return [_digest(row) for row in self.levels[-1].tolist()]

    def _checked(self, indices: Sequence[int]) -> IndexArray:
        index = np.asarray(indices, dtype=np.int64).reshape(-1)
        bad = index[(index < 0) | (index >= self.num_leaves)]
        if bad.size:
            raise IndexError(f"leaf index {int(bad[0])} out of range for {self.num_leaves} leaves")
        return index

    def leaf(self, index: int) -> list[int]:
        """The field elements of leaf ``index``."""
        return list(self.leaves([index])[0])

    def leaves(self, indices: Sequence[int]) -> list[tuple[int, ...]]:
        """The field elements of each leaf in ``indices``, gathered in one step."""
        rows: list[list[int]] = self._columns[:, self._positions[self._checked(indices)]].T.tolist()
        return [tuple(row) for row in rows]

    def prove(self, index: int) -> MerkleProof:
        """Siblings of the path from leaf ``index`` up to the cap, bottom-up."""
        return self.prove_many([index])[0]

    def prove_many(self, indices: Sequence[int]) -> list[MerkleProof]:
        """:meth:`prove` for each leaf in ``indices``: each level's siblings of all of them gathered in one step."""
        index = self._checked(indices)
        levels = [level[(index >> k) ^ 1].tolist() for k, level in enumerate(self.levels[:-1])]
        return [MerkleProof(tuple(_digest(rows[q]) for rows in levels)) for q in range(index.shape[0])]
