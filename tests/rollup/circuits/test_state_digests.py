"""The in-circuit digests of the state model equal the native ones (opaque digest, leaf, record, data digest)."""

from __future__ import annotations

from circuits.builder import CircuitBuilder
from rollup.circuits.state_digests import (
    add_virtual_state,
    append_digest_circuit,
    initial_state_circuit,
    key_digest_circuit,
    leaf_digest_circuit,
    opaque_digest_circuit,
    record_digest_circuit,
    session_data_digest_circuit,
    user_leaf_circuit,
)
from rollup.outbox import TransferRecord
from rollup.smt import DEFAULT_DIGESTS, EMPTY_LEAF
from rollup.state import UserState, key_digest, leaf_digest
from rollup.witness import SessionPublicData


def test_state_digests_match_native() -> None:
    b = CircuitBuilder()
    state = add_virtual_state(b)
    secret = b.add_virtual_targets(4)
    user_id, deposit, recipient, amount, index = b.add_virtual_targets(5)
    key = key_digest_circuit(b, secret)
    opaque = opaque_digest_circuit(b, key, state)
    leaf = leaf_digest_circuit(b, state.outbox_root, opaque)
    address = b.add_virtual_digest()
    record = record_digest_circuit(b, recipient, address, amount, index)
    appends = append_digest_circuit(b, b.constant_digest(EMPTY_LEAF), record)
    data = session_data_digest_circuit(b, user_id, deposit, state.outbox_root, opaque, appends)
    initial = user_leaf_circuit(b, key, initial_state_circuit(b, deposit))
    b.register_public_inputs([*opaque, *leaf, *record, *data, *initial])
    circuit = b.build()

    values = UserState(7, 3, 2, DEFAULT_DIGESTS[1], DEFAULT_DIGESTS[2])
    secret_values = (11, 12, 13, 14)
    inputs = {state.balance: 7, state.nonce: 3, state.outbox_len: 2}
    inputs |= dict(zip(state.outbox_root, values.outbox_root, strict=True))
    inputs |= dict(zip(state.claimed_root, values.claimed_root, strict=True))
    inputs |= dict(zip(secret, secret_values, strict=True))
    inputs |= {user_id: 9, deposit: 40, recipient: 5, amount: 25, index: 1}
    inputs |= dict(zip(address, (21, 22, 23, 24), strict=True))
    w = circuit.generate_witness(inputs)

    key_values = key_digest(secret_values)
    native_opaque = values.opaque_digest(key_values)
    native_leaf = leaf_digest(values.outbox_root, native_opaque)
    assert native_leaf == values.leaf(key_values)
    expected = [
        *native_opaque,
        *native_leaf,
        *TransferRecord(5, (21, 22, 23, 24), 25, 1).digest(),
        *SessionPublicData(
            9, 40, values.outbox_root, native_opaque, (TransferRecord(5, (21, 22, 23, 24), 25, 1),)
        ).digest(),
        *UserState.initial(40).leaf(key_values),
    ]
    assert [w.get(t) for t in circuit.public_input_targets] == expected
