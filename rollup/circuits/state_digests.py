"""In-circuit user state and the digests of the state model (twins of ``rollup.state``, ``rollup.outbox``).

H = hash_elements (one Poseidon2 sponge)::

    key        = H(secret)
    opaque     = H(key[4], balance, nonce, outbox_len, claimed_root[4])
    leaf       = H(outbox_root[4], opaque[4])
    record     = H(recipient, address[4], amount, index)
    appends'   = H(appends[4], record[4])                 (one step of the running appends digest)
    data       = H(user_id, deposit, outbox_root[4], opaque[4], appends[4])   (the session's block-data leaf)
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

    def private_elements(self) -> list[Target]:
        """The 7 fields the opaque digest hashes after the key, in order (everything but the outbox root)."""
        return [self.balance, self.nonce, self.outbox_len, *self.claimed_root]


def add_virtual_state(b: CircuitBuilder) -> StateTarget:
    """Fresh inputs for a user state."""
    balance, nonce, outbox_len = b.add_virtual_targets(3)
    return StateTarget(balance, nonce, outbox_len, b.add_virtual_digest(), b.add_virtual_digest())


def key_digest_circuit(b: CircuitBuilder, secret: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.state.key_digest``: H(secret)."""
    return b.hash_elements(secret)


def opaque_digest_circuit(b: CircuitBuilder, key: Sequence[Target], state: StateTarget) -> DigestTarget:
    """Twin of ``UserState.opaque_digest``: H(key, balance, nonce, outbox_len, claimed_root)."""
    return b.hash_elements([*key, *state.private_elements()])


def leaf_digest_circuit(b: CircuitBuilder, outbox_root: Sequence[Target], opaque: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.state.leaf_digest``: H(outbox_root, opaque)."""
    return b.hash_elements([*outbox_root, *opaque])


def user_leaf_circuit(b: CircuitBuilder, key: Sequence[Target], state: StateTarget) -> DigestTarget:
    """Twin of ``UserState.leaf``: H(outbox_root, opaque(key, state))."""
    return leaf_digest_circuit(b, state.outbox_root, opaque_digest_circuit(b, key, state))


def record_digest_circuit(
    b: CircuitBuilder, recipient: Target, address: Sequence[Target], amount: Target, index: Target
) -> DigestTarget:
    """Twin of ``TransferRecord.digest``: H(recipient, address, amount, index)."""
    return b.hash_elements([recipient, *address, amount, index])


def append_digest_circuit(b: CircuitBuilder, appends: Sequence[Target], record: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.outbox.append_digest``: H(appends, record)."""
    return b.hash_elements([*appends, *record])


def session_data_digest_circuit(
    b: CircuitBuilder,
    user_id: Target,
    deposit: Target,
    outbox_root: Sequence[Target],
    opaque: Sequence[Target],
    appends: Sequence[Target],
) -> DigestTarget:
    """Twin of ``SessionPublicData.digest``: H(user_id, deposit, outbox_root, opaque, appends)."""
    return b.hash_elements([user_id, deposit, *outbox_root, *opaque, *appends])


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
