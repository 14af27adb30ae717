"""A committed batch of polynomials: coefficients, LDE on the coset, Merkle tree over LDE rows.

For m polynomials of degree < n the LDE is their evaluation on s*H_N,
N = n 2^rate_bits, s = COSET_SHIFT. The Merkle tree's leaf j is the row of all
m values at the point of bit-reversed index j, so that FRI's query positions
and cosets line up (see ``verifier.fri``); with ``salt_size`` > 0 each leaf
ends with that many fresh random elements (zero knowledge), which open with the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from prover.blinding import random_field_elements
from prover.field_kernels import ExtArray, FieldArray, ext_powers, matvec_ext
from prover.merkle_tree import MerkleTree
from prover.ntt import bit_reverse_indices, intt, lde, log2_exact
from verifier.extension import Ext
from verifier.hashing import Digest
from verifier.merkle import MerkleProof
from verifier.proof import COSET_SHIFT


@dataclass
class PolynomialBatch:
    """m polynomials committed together (one oracle)."""

    coeffs: FieldArray  # (m, n)
    lde_values: FieldArray  # (m, N), natural order on s*H_N
    tree: MerkleTree
    rate_bits: int

    @staticmethod
    def from_coeffs(coeffs: FieldArray, rate_bits: int, cap_height: int, salt_size: int = 0) -> PolynomialBatch:
        values = lde(coeffs, rate_bits, COSET_SHIFT)
        # Leaf j = the row of values at bit-reversed position j (then the leaf's salt), hashed and opened in place.
        columns = values
        if salt_size:
            salts = random_field_elements(values.shape[1], salt_size)  # row j: the salt of leaf j
            rev = bit_reverse_indices(log2_exact(values.shape[1]))
            columns = np.vstack([values, salts[rev].T])
        return PolynomialBatch(coeffs, values, MerkleTree.from_bit_reversed_columns(columns, cap_height), rate_bits)

    @staticmethod
    def from_values(values: FieldArray, rate_bits: int, cap_height: int, salt_size: int = 0) -> PolynomialBatch:
        """Interpolate columns given by their values on H_n, then commit."""
        return PolynomialBatch.from_coeffs(intt(values), rate_bits, cap_height, salt_size)

    @property
    def cap(self) -> tuple[Digest, ...]:
        return tuple(self.tree.cap)

    @property
    def num_polys(self) -> int:
        return int(self.coeffs.shape[0])

    def evaluate_at(self, point: Ext) -> list[Ext]:
        """Every polynomial of the batch at an extension point."""
        powers = ext_powers(point, self.coeffs.shape[1])
        values = matvec_ext(self.coeffs, powers)
        return [Ext(int(a), int(b)) for a, b in zip(values.c0, values.c1, strict=True)]

    def open(self, position: int) -> tuple[tuple[int, ...], MerkleProof]:
        """The row at bit-reversed LDE position ``position`` and its Merkle path."""
        return self.open_many([position])[0]

    def open_many(self, positions: Sequence[int]) -> list[tuple[tuple[int, ...], MerkleProof]]:
        """:meth:`open` at each of ``positions`` (the rows and paths gathered in one step per level)."""
        return list(zip(self.tree.leaves(positions), self.tree.prove_many(positions), strict=True))


def ext_columns(values: Sequence[ExtArray]) -> FieldArray:
    """Stack F_p2 columns as base columns (c0, c1, c0, c1, ...)."""
    return np.stack([part for v in values for part in (v.c0, v.c1)])
