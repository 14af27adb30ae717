"""Batch Poseidon2 hashing for the prover: many sponges / compressions per numba call.

Each function computes, row by row, exactly what :mod:`verifier.hashing`
computes for one input; the initial states come from that module
(``sponge_initial_state`` / ``compress_initial_state``), so the length and
domain rules live in one place.

One kernel covers both: *absorb* overwrites the rate lanes (0..7) of a state
with consecutive 8-element chunks of a row (the last chunk zero-padded, at
least one chunk), permuting after each chunk, starting from a given capacity;
the digest is lanes 0..3 of the final state.

* ``hash_rows(rows)``: capacity (w, DOMAIN_HASH, 0, 0) for rows of width w,
  i.e. ``hash_elements(row)``.
* ``hash_columns_bit_reversed(columns)``: the same digests for the columns of
  a (w, n) array taken in bit-reversed order, read in place (a committed LDE).
* ``compress_batch(left, right)``: the row left_i || right_i (8 elements, one
  chunk) from capacity (0, DOMAIN_COMPRESS, 0, 0), i.e. ``compress(left_i, right_i)``.

States are processed in blocks of ``BLOCK`` columns by
:func:`verifier.poseidon2_jit.permute_columns_inplace` (vectorized lanes).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from prover.ntt import bit_reverse_indices
from prover.threads import proof_threads, run_in_parts
from verifier.hashing import ZERO_DIGEST, compress_initial_state, sponge_initial_state
from verifier.poseidon2 import DIGEST_SIZE, RATE, WIDTH
from verifier.poseidon2_jit import BLOCK, permute_columns_inplace, permute_rows_inplace

MIN_BLOCKS_PER_THREAD = 16
"""Smaller batches (a Merkle tree's top levels, the verifier-sized calls) stay on one thread."""

U64Array = npt.NDArray[np.uint64]
IndexArray = npt.NDArray[np.int64]

_COMPRESS_INITIAL_STATE = np.array(compress_initial_state(ZERO_DIGEST, ZERO_DIGEST), dtype=np.uint64)


@njit(cache=True, nogil=True)
def _absorb_kernel(
    columns: U64Array, initial: U64Array, out_index: IndexArray, out: U64Array, first: int, stop: int
) -> None:
    """out[out_index[p]] <- the first DIGEST_SIZE lanes of the sponge absorbing column p (first <= p < stop) of (w, n).

    The sponge starts from state ``initial`` (its rate lanes ignored). Columns are
    taken in natural order, so a block of states reads each input row contiguously
    whatever the output order.
    """
    w = columns.shape[0]
    n_chunks = max(1, (w + RATE - 1) // RATE)
    buf = np.zeros((WIDTH, BLOCK), dtype=np.uint64)
    for start in range(first, stop, BLOCK):
        m = min(BLOCK, stop - start)
        for lane in range(RATE, WIDTH):
            buf[lane, :] = initial[lane]
        for chunk in range(n_chunks):
            for lane in range(RATE):
                row = chunk * RATE + lane
                if row < w:
                    for j in range(m):
                        buf[lane, j] = columns[row, start + j]
                else:
                    buf[lane, :] = 0
            permute_columns_inplace(buf)
        for j in range(m):
            for lane in range(DIGEST_SIZE):
                out[out_index[start + j], lane] = buf[lane, j]


def _absorb_columns(columns: U64Array, initial: U64Array, out_index: IndexArray | None = None) -> U64Array:
    """Digests (n, 4): row ``out_index[p]`` (p itself by default) absorbs column p of ``columns`` (w, n).

    The columns are split in whole blocks over ``prover.threads.proof_threads()`` threads
    (parts of at least ``MIN_BLOCKS_PER_THREAD`` blocks).
    """
    n = columns.shape[1]
    out = np.empty((n, DIGEST_SIZE), dtype=np.uint64)
    index = np.arange(n, dtype=np.int64) if out_index is None else out_index

    def run(first_block: int, stop_block: int) -> None:
        _absorb_kernel(columns, initial, index, out, first_block * BLOCK, min(n, stop_block * BLOCK))

    run_in_parts((n + BLOCK - 1) // BLOCK, run, proof_threads(), MIN_BLOCKS_PER_THREAD)
    return out


def _absorb(rows: U64Array, initial: U64Array) -> U64Array:
    """Digests (n, 4): row i absorbs row i of ``rows`` (n, w) (read through the transposed view, no copy)."""
    return _absorb_columns(rows.T, initial)


def _as_u64_matrix(array: npt.ArrayLike, name: str, width: int | None = None) -> U64Array:
    matrix = np.asarray(array, dtype=np.uint64)
    if matrix.ndim != 2 or (width is not None and matrix.shape[1] != width):
        expected = "(n, w)" if width is None else f"(n, {width})"
        raise ValueError(f"{name} must have shape {expected}, got {matrix.shape}")
    return matrix


def hash_rows(rows: npt.ArrayLike) -> U64Array:
    """Digests (n, 4) with row i equal to ``verifier.hashing.hash_elements(rows[i])`` for rows of shape (n, w)."""
    matrix = _as_u64_matrix(rows, "rows")
    initial = np.array(sponge_initial_state(matrix.shape[1]), dtype=np.uint64)
    return _absorb(matrix, initial)


def hash_columns_bit_reversed(columns: npt.ArrayLike) -> U64Array:
    """Digests (n, 4) with row j equal to ``hash_elements(columns[:, rev(j)])`` for columns of shape (w, n).

    rev is the log2(n)-bit reversal: the leaf digests of a Merkle tree whose leaf j
    is the row of all w values at bit-reversed position j (a committed LDE), hashed
    straight from the (w, n) LDE without the transposed, permuted copy.
    """
    matrix = _as_u64_matrix(columns, "columns")
    n = matrix.shape[1]
    if n == 0 or n & (n - 1):
        raise ValueError(f"the number of columns must be a power of two, got {n}")
    initial = np.array(sponge_initial_state(matrix.shape[0]), dtype=np.uint64)
    return _absorb_columns(matrix, initial, bit_reverse_indices(n.bit_length() - 1))


def compress_batch(left: npt.ArrayLike, right: npt.ArrayLike) -> U64Array:
    """Digests (n, 4) with row i equal to ``verifier.hashing.compress(left[i], right[i])``."""
    lhs = _as_u64_matrix(left, "left", DIGEST_SIZE)
    rhs = _as_u64_matrix(right, "right", DIGEST_SIZE)
    if lhs.shape != rhs.shape:
        raise ValueError(f"left and right differ in shape: {lhs.shape} vs {rhs.shape}")
    return _absorb(np.hstack([lhs, rhs]), _COMPRESS_INITIAL_STATE)


def compress_pairs(nodes: npt.ArrayLike) -> U64Array:
    """One Merkle level up: (2m, 4) nodes -> (m, 4) with row k = compress(nodes[2k], nodes[2k+1])."""
    level = _as_u64_matrix(nodes, "nodes", DIGEST_SIZE)
    if level.shape[0] % 2:
        raise ValueError(f"compress_pairs needs an even number of nodes, got {level.shape[0]}")
    return _absorb(np.ascontiguousarray(level).reshape(-1, 2 * DIGEST_SIZE), _COMPRESS_INITIAL_STATE)


def permute_batch(states: npt.ArrayLike) -> U64Array:
    """Poseidon2 applied to every row of an (n, 12) array (a new array; the input is untouched)."""
    out = _as_u64_matrix(states, "states", WIDTH).copy()
    permute_rows_inplace(out)
    return out
