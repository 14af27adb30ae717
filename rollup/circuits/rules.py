"""The scalar rules of the state model in the circuit (twins of :mod:`rollup.rules`).

Range checks are bit decompositions (``split_le`` also returns the bits, which
then serve as a Merkle path); conditional equalities are ``enabled * (x - y) = 0``.
"""

from __future__ import annotations

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.gadgets import assert_digest_equal_if, assert_equal_if
from circuits.witness import Target
from rollup.params import GLOBAL_TREE_DEPTH, MAX_AMOUNT_BITS, OUTBOX_DEPTH


def require_user_id_circuit(b: CircuitBuilder, value: Target) -> list[Target]:
    """Twin of ``require_user_id``: value < 2^GLOBAL_TREE_DEPTH; returns its bits (a global-tree path)."""
    return b.split_le(value, GLOBAL_TREE_DEPTH)


def require_outbox_index_circuit(b: CircuitBuilder, value: Target) -> list[Target]:
    """Twin of ``require_outbox_index``: value < 2^OUTBOX_DEPTH; returns its bits (an outbox path)."""
    return b.split_le(value, OUTBOX_DEPTH)


def require_amount_circuit(b: CircuitBuilder, value: Target) -> None:
    """Twin of ``require_amount``: value < 2^MAX_AMOUNT_BITS."""
    b.range_check(value, MAX_AMOUNT_BITS)


def require_next_nonce_circuit(b: CircuitBuilder, current: Target, given: Target, enabled: Target) -> Target:
    """Twin of ``require_next_nonce``: given = current + 1 when enabled; returns the nonce afterwards."""
    following = b.add(current, enabled)
    assert_equal_if(b, enabled, given, following)
    return following


def debit_circuit(b: CircuitBuilder, balance: Target, amount: Target, enabled: Target) -> Target:
    """Twin of ``debit`` (without its range check): balance - enabled * amount.

    The result is range-checked once per slot by the caller; with balance and
    amount below 2^MAX_AMOUNT_BITS, an overdraft wraps to >= p - 2^MAX_AMOUNT_BITS
    and fails that check.
    """
    return b.arithmetic(-1, 1, enabled, amount, balance)


def credit_circuit(b: CircuitBuilder, balance: Target, amount: Target, enabled: Target) -> Target:
    """Twin of ``credit`` (without its range check): balance + enabled * amount (< 2^(bits+1), no wrap)."""
    return b.mul_add(enabled, amount, balance)


def require_recipient_circuit(
    b: CircuitBuilder,
    recipient: Target,
    address: DigestTarget,
    claimant: Target,
    claimant_key: DigestTarget,
    enabled: Target,
) -> None:
    """Twin of ``require_recipient``: the record names the claimant's id and address (when enabled)."""
    assert_equal_if(b, enabled, recipient, claimant)
    assert_digest_equal_if(b, enabled, address, claimant_key)
