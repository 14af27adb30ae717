"""The in-circuit digests of the state model equal the native ones (state root, leaf, record, data digest)."""

from __future__ import annotations

from circuits.builder import CircuitBuilder
from rollup.circuits.state_digests import (
    add_virtual_state,
    initial_state_circuit,
    key_digest_circuit,
    leaf_digest_circuit,
    record_digest_circuit,
    session_data_digest_circuit,
    state_root_circuit,
)
from rollup.outbox import TransferRecord
from rollup.smt import DEFAULT_DIGESTS
from rollup.state import UserState, key_digest, leaf_digest
from rollup.witness import SessionPublicData


def test_state_digests_match_native() -> None:
    b = CircuitBuilder()
    state = add_virtual_state(b)
    secret = b.add_virtual_targets(4)
    user_id, deposit, recipient, amount, index = b.add_virtual_targets(5)
    key = key_digest_circuit(b, secret)
    root = state_root_circuit(b, state)
    leaf = leaf_digest_circuit(b, key, root)
    address = b.add_virtual_digest()
    record = record_digest_circuit(b, recipient, address, amount, index)
    data = session_data_digest_circuit(b, user_id, deposit, leaf)
    initial = state_root_circuit(b, initial_state_circuit(b, deposit))
    b.register_public_inputs([*root, *leaf, *record, *data, *initial])
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

    native_leaf = leaf_digest(key_digest(secret_values), values.root())
    expected = [
        *values.root(),
        *native_leaf,
        *TransferRecord(5, (21, 22, 23, 24), 25, 1).digest(),
        *SessionPublicData(9, 40, native_leaf).digest(),
        *UserState.initial(40).root(),
    ]
    assert [w.get(t) for t in circuit.public_input_targets] == expected
