"""The prover's randomness for zero knowledge (the argument and the counts: ``verifier.zero_knowledge``).

* ``blind_rows``: fill the h reserved rows of witness columns with uniform values;
* ``blind_permutation_columns``: Z free on h - 1 of them (pinned to 1 on the first), partial products on all h;
* ``quotient_chunks_from_coeffs``: the overlapping split Q_c = P_c + X^m H_c - H_{c-1};
* ``fri_mask``: the uniformly random polynomial R batched into FRI;
* ``random_field_elements``: leaf salts and all of the above, from the operating system's CSPRNG.

Without zero knowledge (h = 0, b = 0) every function is the identity or the plain split, so
non-ZK proofs are unchanged.
"""

from __future__ import annotations

import os

import numpy as np

from prover import field_kernels as fk
from prover.field_kernels import ExtArray, FieldArray
from verifier.field import P
from verifier.proof import CommonData


def random_field_elements(*shape: int) -> FieldArray:
    """Uniform canonical field elements: 64 random bits each, redrawn while >= p (probability ~2^-32)."""
    size = int(np.prod(shape, dtype=np.int64))
    out = np.frombuffer(os.urandom(8 * size), dtype=np.uint64).copy()
    while True:
        bad = np.flatnonzero(out >= np.uint64(P))
        if not bad.size:
            return out.reshape(shape)
        out[bad] = np.frombuffer(os.urandom(8 * bad.size), dtype=np.uint64)


def blind_rows(columns: FieldArray, num_rows: int) -> FieldArray:
    """A copy of ``columns`` (m x n values on H) with the last ``num_rows`` rows uniformly random."""
    if not num_rows:
        return columns
    out = columns.copy()
    out[:, out.shape[1] - num_rows :] = random_field_elements(out.shape[0], num_rows)
    return out


def blind_permutation_columns(columns: list[ExtArray], num_rows: int) -> list[ExtArray]:
    """Z (first) random on the last h - 1 rows, each partial product random on the last h rows.

    The chain constraints are off on those rows (they carry Z_B), and Z stays 1 on the first of
    them, which the constraint L_{n-h} (Z - 1) checks.
    """
    if not num_rows:
        return columns
    out = []
    for index, column in enumerate(columns):
        free = num_rows - 1 if index == 0 else num_rows
        out.append(ExtArray(*(blind_rows(part[np.newaxis], free)[0] for part in (column.c0, column.c1))))
    return out


def quotient_chunks_from_coeffs(common: CommonData, coeffs: FieldArray) -> list[FieldArray]:
    """Chunks Q_0..Q_{k-1} (degree < n) of one quotient coordinate with sum_c X^{c m} Q_c = Q.

    P_c is the stride-m piece of Q (the last piece runs to the end); with zero knowledge
    Q_c = P_c + X^m H_c - H_{c-1} for random H_c of degree < b = n - m (``quotient_layout``).
    """
    n, m, k = common.degree, common.quotient_stride, common.num_quotient_chunks
    chunks = []
    for c in range(k):
        piece = coeffs[c * m : c * m + (n if c == k - 1 else m)]
        chunks.append(np.concatenate([piece, np.zeros(n - piece.size, dtype=np.uint64)]))
    b = n - m
    if b:
        for c in range(k - 1):
            h = random_field_elements(b)
            chunks[c][m:] = h
            chunks[c + 1][:b] = fk.sub(chunks[c + 1][:b], h)
    return chunks


def fri_mask(common: CommonData) -> FieldArray:
    """Coefficients of R (``num_mask_columns`` x n), uniformly random: F_0 then is uniform too."""
    return random_field_elements(common.num_mask_columns, common.degree)
