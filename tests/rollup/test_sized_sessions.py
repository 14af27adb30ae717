"""Sessions sized to their traffic inside the block tree: two session shapes, an aggregation variant per
pair of child shapes, a lift per session shape, and the soundness of the mix (docs/recursion.md).

The small session circuit (``SMALL_SESSION_SLOTS`` slots, ``2^SMALL_SESSION_DEGREE_BITS`` rows) proves
sessions of up to 3 operations; of the three circuits of the tree's 2^13 rows, the full send session
(``SEND_SESSION_SLOTS`` send-only slots) proves larger sessions of sends only, as FULL_USER's here, the mixed
full session those with claims among their first ``MIXED_ANY_SLOTS`` operations, and the full one
(``SESSION_SLOTS`` slots of any kind) the rest (tests/rollup/test_send_sessions.py).
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from keys_support import USER_KEYS
from tests_support import prover_without_self_checks

from circuits.builder import CircuitError
from circuits.recursion.aggregation import ChildProof
from prover.jobs import LocalExecutor
from rollup.block_plan import BlockProvingError, NodeStatement, plan_block, session_statement, siblings_of
from rollup.block_proving import RollupCircuits, plan_jobs, prove_stored_block, rollup_circuits
from rollup.circuits.labels import SessionRuleError
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.params import SMALL_SESSION_DEGREE_BITS, SMALL_SESSION_SLOTS
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.slot_layout import (
    FULL_SESSION_LAYOUT,
    MIXED_SESSION_LAYOUT,
    SEND_SESSION_LAYOUT,
    SMALL_SESSION_LAYOUT,
    SlotLayout,
)
from rollup.wallet_proving import prove_own_session
from rollup.witness import SessionTrace
from rollup.workload import register_users
from verifier.field import P
from verifier.light_client import verify_block
from verifier.plonk import VerificationError, verify_proof
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_from_bytes

SMALL_USER, FULL_USER, RECIPIENT = 5, 9, 12
FULL_OPERATIONS = SMALL_SESSION_SLOTS + 1


@pytest.fixture(scope="module")
def circuits() -> RollupCircuits:
    return rollup_circuits()


def sending_chain(operations: dict[int, int]) -> Sequencer:
    """Block 1 registers the senders and RECIPIENT; block 2 is submitted, not built: sender -> that many sends
    (none for 0)."""
    seq = Sequencer.in_memory()
    register_users(seq, [*sorted(operations), RECIPIENT], 1000, USER_KEYS)
    for sender, count in sorted(operations.items()):
        if not count:
            continue
        builder = SessionBuilder(seq.state, sender, USER_KEYS.secret(sender))
        for amount in range(1, count + 1):
            builder.send(RECIPIENT, amount)
        seq.submit(builder.build())
    return seq


@pytest.fixture(scope="module")
def mixed_traces() -> dict[int, SessionTrace]:
    """Traces of a one-send session (small) and of a session one send too many for the small circuit (full)."""
    seq = sending_chain({SMALL_USER: 1, FULL_USER: FULL_OPERATIONS})
    return {item.trace.user_id: item.trace for item in seq.build_block().sessions}


# ----------------------------------------------------------------------------- sizes and keys (fast)


def test_each_tree_session_holds_the_most_operations_its_rows_allow(circuits: RollupCircuits) -> None:
    small, send, mixed, full = circuits.sessions
    tree = circuits.blocks.aggregation.shape
    assert (small.layout, small.degree_bits) == (SMALL_SESSION_LAYOUT, SMALL_SESSION_DEGREE_BITS)
    assert (send.layout, send.degree_bits) == (SEND_SESSION_LAYOUT, tree.degree_bits)
    assert (mixed.layout, mixed.degree_bits) == (MIXED_SESSION_LAYOUT, tree.degree_bits)
    assert (full.layout, full.degree_bits) == (FULL_SESSION_LAYOUT, tree.degree_bits)
    for session in (small, send, mixed, full):
        common = session.data.common
        assert common.config.zero_knowledge
        assert session.gate_rows + common.num_blinding_rows <= common.degree
        layout = session.layout
        # one slot more does not fit the same rows; nor, in the mixed session, one send slot made a slot of any kind
        larger = [SlotLayout(layout.any_slots, layout.send_slots + 1)] if layout.send_slots else []
        larger.append(SlotLayout(layout.any_slots + 1, layout.send_slots - 1 if layout.send_slots else 0))
        for bigger in larger:
            with pytest.raises(CircuitError, match="blinding rows"):
                SessionCircuit.build(bigger, common.config, tree_shape=common)


def test_a_session_takes_the_smallest_tree_circuit_holding_it(
    circuits: RollupCircuits, mixed_traces: dict[int, SessionTrace]
) -> None:
    small, send, _, _ = circuits.sessions
    assert circuits.session_for(mixed_traces[SMALL_USER]) is small
    assert circuits.session_for(mixed_traces[FULL_USER]) is send
    too_many = dataclasses.replace(mixed_traces[FULL_USER], steps=mixed_traces[FULL_USER].steps * 52)  # 208 sends
    with pytest.raises(SessionTooLargeError, match="split it"):
        circuits.session_for(too_many)
    seq = sending_chain({SMALL_USER: 0, FULL_USER: 0})
    plan = plan_block(2, [mixed_traces[SMALL_USER], too_many], seq.state.global_tree, circuits.blocks.whitelist.root)
    with pytest.raises(BlockProvingError, match=r"block 2 could not be proven: .*split it"):
        plan_jobs(plan, {})


def test_the_whitelist_holds_one_key_per_session_size_variant_and_lift(circuits: RollupCircuits) -> None:
    blocks = circuits.blocks
    tree = blocks.aggregation.shape
    leaf_shapes = [session.data.common for session in circuits.sessions]
    shapes = [*leaf_shapes, tree]
    assert len(set(shapes)) == 3
    assert set(blocks.aggregations) == set(itertools.product(shapes, repeat=2))
    for pair, aggregation in blocks.aggregations.items():
        assert aggregation.child_shapes == pair
        assert aggregation.shape == tree  # every variant proves in the tree's shape
    assert set(blocks.lifts) == set(leaf_shapes)
    keys = [
        *(session.data.verifier_key for session in circuits.sessions),
        circuits.batch.verifier_key,  # a leaf of the full session's shape: no variant or lift of its own
        *(aggregation.verifier_key for aggregation in blocks.aggregations.values()),
        *(lift.verifier_key for lift in blocks.lifts.values()),
    ]
    digests = [vk.circuit_digest for vk in keys]
    assert len(set(digests)) == len(digests) == 16  # the send and mixed sessions' keys: two more leaf keys, 16 of 16
    assert sorted(blocks.whitelist.digests) == sorted(digests)
    assert all(circuits.key(vk.circuit_digest) == vk for vk in keys)
    with pytest.raises(ValueError, match="no circuit"):
        circuits.key((1, 2, 3, 4))


def test_the_plan_names_each_nodes_key_by_its_childrens_shapes(
    circuits: RollupCircuits, mixed_traces: dict[int, SessionTrace]
) -> None:
    seq = sending_chain({SMALL_USER: 1, FULL_USER: FULL_OPERATIONS})
    before = seq.state.global_tree.copy()
    plan = plan_block(2, list(mixed_traces.values()), before, circuits.blocks.whitelist.root)
    keys = circuits.node_keys(plan)
    small, send, _, _ = (session.data.verifier_key for session in circuits.sessions)
    assert keys[f"session/{SMALL_USER}"] == small and keys[f"session/{FULL_USER}"] == send
    assert plan.top.children is not None
    left, right = plan.top.children
    assert (
        keys[plan.top.key]
        == circuits.blocks.aggregation_for(keys[left.key].common, keys[right.key].common).verifier_key
    )
    assert {keys[left.key], keys[right.key]} == {small, send}


# ----------------------------------------------------------------------------- proofs of each shape (slow)


def test_a_wallet_proves_its_own_one_send_session_in_the_small_shape(circuits: RollupCircuits) -> None:
    seq = sending_chain({SMALL_USER: 0})
    session = SessionBuilder(seq.state, SMALL_USER, USER_KEYS.secret(SMALL_USER)).send(RECIPIENT, 3).build()
    proof = proof_from_bytes(prove_own_session(seq.state, session).file.proof)
    assert circuits.session_circuit_of(proof) is circuits.sessions[0]
    assert circuits.verify_session(proof).position == SMALL_USER


@pytest.fixture(scope="module")
def session_proofs(circuits: RollupCircuits, mixed_traces: dict[int, SessionTrace]) -> dict[int, ChildProof]:
    root = circuits.blocks.whitelist.root
    proofs = {}
    for user, trace in mixed_traces.items():
        circuit = circuits.session_for(trace)
        proofs[user] = ChildProof(circuit.prove(trace, session_statement(trace), root), circuit.data.verifier_key)
    return proofs


@pytest.mark.slow
def test_a_session_proof_verifies_only_under_the_key_of_its_own_size(
    circuits: RollupCircuits, session_proofs: dict[int, ChildProof], mixed_traces: dict[int, SessionTrace]
) -> None:
    small, full = session_proofs[SMALL_USER], session_proofs[FULL_USER]
    assert small.vk.common.degree_bits == SMALL_SESSION_DEGREE_BITS and small.vk != full.vk
    for proof, own, other in ((small, small.vk, full.vk), (full, full.vk, small.vk)):
        verify_proof(own, proof.proof.proof, proof.proof.public_inputs)
        wrong = [
            other,
            *(session.data.verifier_key for session in circuits.sessions if session.data.verifier_key != own),
            circuits.blocks.aggregation.verifier_key,
            *(lift.verifier_key for lift in circuits.blocks.lifts.values()),
        ]
        for vk in wrong:
            with pytest.raises(VerificationError):
                verify_proof(vk, proof.proof.proof, proof.proof.public_inputs)
        assert circuits.verify_session(proof.proof) == session_statement(mixed_traces[proof.proof.public_inputs[1]])
        assert circuits.child(proof.proof).vk == own
    # a session key of the same shape that is not the whitelisted circuit (one slot fewer) does not accept it
    twin = SessionCircuit.build(
        SlotLayout.of_any(SMALL_SESSION_SLOTS - 1), small.vk.common.config, tree_shape=small.vk.common
    )
    assert twin.data.common == small.vk.common and twin.data.verifier_key != small.vk
    with pytest.raises(VerificationError):
        verify_proof(twin.data.verifier_key, small.proof.proof, small.proof.public_inputs)
    tampered = list(small.proof.public_inputs)
    tampered[2] = (tampered[2] + 1) % P  # another old leaf
    with pytest.raises(VerificationError):
        circuits.verify_session(dataclasses.replace(small.proof, public_inputs=tuple(tampered)))


@pytest.mark.slow
def test_a_child_in_a_slot_of_another_shape_or_outside_the_whitelist_cannot_be_aggregated(
    circuits: RollupCircuits, session_proofs: dict[int, ChildProof], mixed_traces: dict[int, SessionTrace]
) -> None:
    blocks = circuits.blocks
    small, full = session_proofs[SMALL_USER], session_proofs[FULL_USER]
    statements = [NodeStatement.from_elements(p.proof.public_inputs) for p in (small, full)]
    seq = sending_chain({SMALL_USER: 1, FULL_USER: FULL_OPERATIONS})
    sib = [siblings_of(seq.state.global_tree, s) for s in statements]
    both_small = blocks.aggregation_for(small.vk.common, small.vk.common)
    with pytest.raises(ValueError, match="shape this slot verifies"):
        both_small.prove(small, full, blocks.whitelist)
    # a full-size proof presented under the small key cannot even be laid into the small slot's targets
    with pytest.raises(ValueError):
        both_small.prove(small, ChildProof(full.proof, small.vk), blocks.whitelist)
    # a circuit of the small shape outside the whitelist
    twin = SessionCircuit.build(
        SlotLayout.of_any(SMALL_SESSION_SLOTS - 1), small.vk.common.config, tree_shape=small.vk.common
    )
    trace = mixed_traces[SMALL_USER]
    foreign = ChildProof(twin.prove(trace, session_statement(trace), blocks.whitelist.root), twin.data.verifier_key)
    with pytest.raises(ValueError, match="not in the whitelist"):
        blocks.aggregate(foreign, full, sib[0], sib[1])
    # the mixed variant takes them in order, not swapped (the combine's ordering rule)
    with pytest.raises(ValueError):
        blocks.aggregate(full, small, sib[1], sib[0])


@pytest.mark.slow
@pytest.mark.parametrize("size", ["small", "send"])
def test_malicious_witnesses_are_rejected_in_every_tree_session_shape(
    circuits: RollupCircuits, mixed_traces: dict[int, SessionTrace], size: str
) -> None:
    """A trace under another secret cannot be proven; a cheating prover's single changed wire (a copied amount,
    the new leaf, the data digest) gives a proof the circuit's key rejects."""
    user = SMALL_USER if size == "small" else FULL_USER
    trace = mixed_traces[user]
    circuit = circuits.session_for(trace)
    assert circuit is circuits.sessions[0 if size == "small" else 1]  # the full send session
    root = circuits.blocks.whitelist.root
    wrong_secret = dataclasses.replace(trace, secret=USER_KEYS.secret(RECIPIENT))
    with pytest.raises(SessionRuleError):
        circuit.generate_witness(wrong_secret, session_statement(trace), root)
    num_wires = circuit.data.common.config.num_wires
    amount = next(m for m in circuit.data.copy_classes.values() if circuit.targets.slots[0].amount in m)
    cells = [next(t for t in amount if t >= 0), circuit.targets.new_leaf[0], circuit.targets.data_digest[0]]
    for cell in cells:
        w = circuit.generate_witness(trace, session_statement(trace), root)
        row, column = divmod(cell, num_wires)
        w.wires[column, row] = (int(w.wires[column, row]) + 1000) % P
        with prover_without_self_checks(circuit.data.common.config):
            forged: ProofWithPublicInputs = circuit.data.prove_witness(w)
        with pytest.raises(VerificationError):
            circuit.verify(forged)


@pytest.mark.slow
def test_blocks_of_small_full_and_mixed_sessions_prove_and_verify_as_a_light_client() -> None:
    """A lone small session and a lone full one are each lifted by the lift of their shape; a block mixing
    both aggregates them through the (small, full) variant."""
    c = rollup_circuits()
    for operations in ({SMALL_USER: 2}, {FULL_USER: FULL_OPERATIONS}, {SMALL_USER: 1, FULL_USER: FULL_OPERATIONS}):
        seq = sending_chain(operations)
        seq.build_block()
        result = prove_stored_block(seq.storage, 2, LocalExecutor(1, in_process=True))
        statement = verify_block(c.block_verifier_key, result.proof, seq.storage.block(2).prev_root)
        assert statement.new_root == seq.storage.block(2).new_root
        for user, count in operations.items():
            session = proof_from_bytes(result.proofs[f"session/{user}"])
            expected = c.sessions[0] if count <= SMALL_SESSION_SLOTS else c.sessions[1]  # sends only
            assert c.child(session).vk == expected.data.verifier_key
        seq.close()
