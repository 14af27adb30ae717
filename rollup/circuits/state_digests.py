"""In-circuit user state and the digests of the state model (twins of ``rollup.state``, ``rollup.outbox``).

H = hash_elements (one Poseidon2 sponge)::

    key        = H(secret)
    state_root = H(balance, nonce, outbox_len, outbox_root[4], claimed_root[4])
    leaf       = H(key[4], state_root[4])
    record     = H(recipient, address[4], amount, index)
    data       = H(user_id, deposit, new_leaf[4])        (the session's block-data leaf)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.gadgets import select_digest
from circuits.witness import Target
from rollup.params import CLAIMED_DEPTH, OUTBOX_DEPTH
from rollup.smt import DEFAULT_DIGESTS


@dataclass(frozen=True)
class StateTarget:
    """In-circuit user state (the fields of ``rollup.state.UserState``)."""

    balance: Target
    nonce: Target
    outbox_len: Target
    outbox_root: DigestTarget
    claimed_root: DigestTarget

    def elements(self) -> list[Target]:
        """The 11 elements state_root hashes, in order."""
        return [self.balance, self.nonce, self.outbox_len, *self.outbox_root, *self.claimed_root]


def add_virtual_state(b: CircuitBuilder) -> StateTarget:
    """Fresh inputs for a user state."""
    balance, nonce, outbox_len = b.add_virtual_targets(3)
    return StateTarget(balance, nonce, outbox_len, b.add_virtual_digest(), b.add_virtual_digest())


def key_digest_circuit(b: CircuitBuilder, secret: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.state.key_digest``: H(secret)."""
    return b.hash_elements(secret)


def state_root_circuit(b: CircuitBuilder, state: StateTarget) -> DigestTarget:
    """Twin of ``UserState.root``: H(balance, nonce, outbox_len, outbox_root, claimed_root)."""
    return b.hash_elements(state.elements())


def leaf_digest_circuit(b: CircuitBuilder, key: Sequence[Target], state_root: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.state.leaf_digest``: H(key, state_root)."""
    return b.hash_elements([*key, *state_root])


def record_digest_circuit(
    b: CircuitBuilder, recipient: Target, address: Sequence[Target], amount: Target, index: Target
) -> DigestTarget:
    """Twin of ``TransferRecord.digest``: H(recipient, address, amount, index)."""
    return b.hash_elements([recipient, *address, amount, index])


def session_data_digest_circuit(
    b: CircuitBuilder, user_id: Target, deposit: Target, new_leaf: Sequence[Target]
) -> DigestTarget:
    """Twin of ``SessionPublicData.digest``: H(user_id, deposit, new_leaf)."""
    return b.hash_elements([user_id, deposit, *new_leaf])


def initial_state_circuit(b: CircuitBuilder, deposit: Target) -> StateTarget:
    """Twin of ``UserState.initial``: (deposit, 0, 0, Z_outbox, Z_claimed), Z_d the root of an empty tree of depth d."""
    return StateTarget(
        deposit,
        b.zero(),
        b.zero(),
        b.constant_digest(DEFAULT_DIGESTS[OUTBOX_DEPTH]),
        b.constant_digest(DEFAULT_DIGESTS[CLAIMED_DEPTH]),
    )


def select_state(b: CircuitBuilder, bit: Target, if_zero: StateTarget, if_one: StateTarget) -> StateTarget:
    """bit ? if_one : if_zero, field by field."""
    return StateTarget(
        b.select(bit, if_zero.balance, if_one.balance),
        b.select(bit, if_zero.nonce, if_one.nonce),
        b.select(bit, if_zero.outbox_len, if_one.outbox_len),
        select_digest(b, bit, if_zero.outbox_root, if_one.outbox_root),
        select_digest(b, bit, if_zero.claimed_root, if_one.claimed_root),
    )
