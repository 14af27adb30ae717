"""The light client's fast FRI check: every query round at once, in compiled kernels.

:func:`fri_queries_pass` decides the same thing as the readable reference
:func:`verifier.fri.verify_fri` (which stays the specification, and the path
the recursive verifier mirrors): whether every query round's Merkle openings
lead to their caps and its folding chain ends on the final polynomial.  It
gathers the openings of all rounds into arrays, hashes all Merkle paths of an
oracle or FRI layer level by level in one batched Poseidon2 call per level,
and folds all queries in one kernel (:mod:`verifier.fri_batch_jit`).

It answers only "all checks pass": :func:`verifier.plonk.verify_proof` accepts
on True and otherwise runs the reference, which accepts or names the first
failing check exactly as before.  So the fast path never changes a verdict as
long as it accepts only what the reference accepts;
``tests/verifier/test_fast_verifier.py`` checks both directions on honest proofs
and on every kind of tampering.  Degenerate inputs (a cap whose size is not the
committed shape, a division by zero, no query rounds, an element that does not
fit 64 bits) return False and leave the call to the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from verifier import field
from verifier.extension import Ext
from verifier.fri import FriChallenges, batch_openings
from verifier.fri_batch_jit import fold_queries_ok, merkle_paths_ok
from verifier.hashing import Digest
from verifier.merkle import MerkleProof
from verifier.proof import COSET_SHIFT, NUM_ORACLES, QUOTIENT, ZS_PARTIALS, CommonData, FriProof, OpeningSet


@cache
def _roots_of_unity(max_bits: int) -> np.ndarray:
    """roots[k] = field.root_of_unity(k) for k <= max_bits."""
    return np.array([field.root_of_unity(k) for k in range(max_bits + 1)], dtype=np.uint64)


def _ext_array(values: Sequence[Ext]) -> np.ndarray:
    """(len, 2) uint64 array of (a0, a1)."""
    return np.array([(v.a0, v.a1) for v in values], dtype=np.uint64).reshape(len(values), 2)


def _siblings(proofs: Sequence[MerkleProof]) -> np.ndarray:
    """(q, depth, 4) uint64 array of the paths (all of one depth, as the validated shape guarantees)."""
    depth = len(proofs[0].siblings)
    return np.array([p.siblings for p in proofs], dtype=np.uint64).reshape(len(proofs), depth, 4)


def _paths_pass(leaves: np.ndarray, indices: np.ndarray, siblings: np.ndarray, cap: Sequence[Digest]) -> bool:
    """All ``len(indices)`` Merkle openings lead to ``cap`` (a tree of 2^(depth + cap height) leaves)."""
    cap_array = np.array(cap, dtype=np.uint64).reshape(len(cap), -1)
    depth = siblings.shape[1]
    if cap_array.shape[1] != 4 or len(cap) == 0 or len(cap) & (len(cap) - 1):
        return False
    if np.any(cap_array >= field.P) or np.any(indices >= len(cap) << depth):
        return False
    return bool(merkle_paths_ok(leaves, indices, siblings, cap_array).all())


def fri_queries_pass(
    common: CommonData,
    initial_caps: Sequence[Sequence[Digest]],
    openings: OpeningSet,
    zeta: Ext,
    challenges: FriChallenges,
    proof: FriProof,
) -> bool:
    """True when :func:`verifier.fri.verify_fri` would accept; False when it would reject, or undecided.

    The proof's shape must have been validated (:func:`verifier.plonk.validate_shape`).
    """
    if not proof.query_rounds:
        return False
    try:
        return _queries_pass(common, initial_caps, openings, zeta, challenges, proof)
    except OverflowError:  # an element of an in-memory proof beyond 64 bits: not canonical, the reference says so
        return False


def _queries_pass(
    common: CommonData,
    initial_caps: Sequence[Sequence[Digest]],
    openings: OpeningSet,
    zeta: Ext,
    challenges: FriChallenges,
    proof: FriProof,
) -> bool:
    """:func:`fri_queries_pass` for at least one query round."""
    rounds = proof.query_rounds
    indices = np.array(challenges.query_indices, dtype=np.int64)
    row_parts = []  # the opened polynomial values of each oracle (a leaf goes on with the mask, the salt)
    mask = np.zeros((len(rounds), 0), dtype=np.uint64)
    for oracle, width in zip(range(NUM_ORACLES), common.oracle_widths(), strict=True):
        leaves = np.array([r.initial[oracle].values for r in rounds], dtype=np.uint64)
        if not _paths_pass(leaves, indices, _siblings([r.initial[oracle].proof for r in rounds]), initial_caps[oracle]):
            return False
        row_parts.append(leaves[:, :width])
        if oracle == QUOTIENT:
            mask = np.ascontiguousarray(leaves[:, width : width + common.num_mask_columns])
    q = indices
    max_arity = max((1 << bits for bits in common.fri_arities), default=1)
    evals = np.zeros((len(common.fri_arities), len(rounds), max_arity, 2), dtype=np.uint64)
    for layer, bits in enumerate(common.fri_arities):
        q = q >> bits
        steps = [r.steps[layer] for r in rounds]
        layer_evals = np.array([[(e.a0, e.a1) for e in s.evals] for s in steps], dtype=np.uint64)
        leaves = layer_evals.reshape(len(rounds), -1)
        if not _paths_pass(leaves, q, _siblings([s.proof for s in steps]), proof.layer_caps[layer]):
            return False
        evals[layer, :, : 1 << bits] = layer_evals
    batched = batch_openings(common, openings.at_zeta(), openings.zs_next, challenges.alpha, zeta)
    scalars = _ext_array(
        [
            challenges.alpha,
            batched.zeta,
            batched.g_zeta,
            batched.reduced_at_zeta,
            batched.reduced_zs_next,
            batched.alpha_m,
            batched.alpha_mask if batched.alpha_mask is not None else Ext(0),
        ]
    )
    z_offset = sum(part.shape[1] for part in row_parts[:ZS_PARTIALS])
    passed = fold_queries_ok(
        indices,
        np.ascontiguousarray(np.concatenate(row_parts, axis=1)),
        z_offset,
        mask,
        evals,
        np.array(common.fri_arities, dtype=np.int64),
        _ext_array(proof.final_poly),
        scalars,
        _ext_array(challenges.betas),
        _roots_of_unity(common.lde_bits),
        common.lde_bits,
        np.uint64(COSET_SHIFT),
    )
    return bool(passed.all())


def load_kernels() -> None:
    """Load the batch kernels (numba's on-disk cache, or compile) ahead of timed work: one call each on empty input."""
    empty = np.zeros((0, 2), dtype=np.uint64)
    merkle_paths_ok(
        np.zeros((0, 1), dtype=np.uint64), np.zeros(0, dtype=np.int64), np.zeros((0, 0, 4), dtype=np.uint64), empty
    )
    fold_queries_ok(
        np.zeros(0, dtype=np.int64),
        np.zeros((0, 2), dtype=np.uint64),
        0,
        np.zeros((0, 0), dtype=np.uint64),
        np.zeros((0, 0, 1, 2), dtype=np.uint64),
        np.zeros(0, dtype=np.int64),
        empty,
        np.zeros((7, 2), dtype=np.uint64),
        empty,
        _roots_of_unity(1),
        1,
        np.uint64(COSET_SHIFT),
    )
