"""Sessions sized to their traffic inside the block tree: three session shapes, an aggregation variant per
pair of child shapes, a lift per session shape, and the soundness of the mix (docs/recursion.md).

The small session circuit (``SMALL_SESSION_SLOTS`` slots, ``2^SMALL_SESSION_DEGREE_BITS`` rows) proves
sessions of up to 3 operations, as SMALL_USER's here; the medium send session (``MEDIUM_SEND_SESSION_SLOTS``
send-only slots, ``2^MEDIUM_SESSION_DEGREE_BITS`` rows) larger sessions of sends only, as MEDIUM_USER's; of the
three circuits of the tree's 2^13 rows, the full send session (``SEND_SESSION_SLOTS`` send-only slots) proves
still larger sessions of sends only, as FULL_USER's, the mixed full session those with claims among their first
``MIXED_ANY_SLOTS`` operations, and the full one (``SESSION_SLOTS`` slots of any kind) the rest
(tests/rollup/test_send_sessions.py).
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
from rollup.params import (
    FULL_SESSION_DEGREE_BITS,
    MEDIUM_SEND_SESSION_SLOTS,
    MEDIUM_SESSION_DEGREE_BITS,
    SEND_SESSION_SLOTS,
    SMALL_SESSION_DEGREE_BITS,
    SMALL_SESSION_SLOTS,
)
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.slot_layout import (
    BLOCK_TREE_LAYOUTS,
    FULL_SESSION_LAYOUT,
    MEDIUM_SEND_SESSION_LAYOUT,
    MEDIUM_SESSION_LAYOUT,
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

SMALL_USER, MEDIUM_USER, FULL_USER, RECIPIENT = 5, 7, 9, 12
MEDIUM_OPERATIONS = SMALL_SESSION_SLOTS + 1
"""One send more than the small session holds: the medium send session's."""
FULL_OPERATIONS = MEDIUM_SEND_SESSION_SLOTS + 1
"""One send more than the medium send session holds: the full send session's."""
SIZED_OPERATIONS = {SMALL_USER: 1, MEDIUM_USER: MEDIUM_OPERATIONS, FULL_USER: FULL_OPERATIONS}


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
        for k in range(count):
            builder.send(RECIPIENT, 1 + k % 7)  # 50 sends take about 200 of the 1000 registered
        seq.submit(builder.build())
    return seq


@pytest.fixture(scope="module")
def sized_traces() -> dict[int, SessionTrace]:
    """Traces of a one-send session (small), of one send too many for the small circuit (medium) and of one
    send too many for the medium circuit (full send session)."""
    seq = sending_chain(SIZED_OPERATIONS)
    return {item.trace.user_id: item.trace for item in seq.build_block().sessions}


# ----------------------------------------------------------------------------- sizes and keys (fast)


def test_each_tree_session_holds_the_most_operations_its_rows_allow(circuits: RollupCircuits) -> None:
    tree = circuits.blocks.aggregation.shape
    assert tree.degree_bits == FULL_SESSION_DEGREE_BITS  # the full sessions share the batch's leaf shape
    assert [session.layout for session in circuits.sessions] == list(BLOCK_TREE_LAYOUTS)
    degrees = {
        SMALL_SESSION_LAYOUT: SMALL_SESSION_DEGREE_BITS,
        MEDIUM_SEND_SESSION_LAYOUT: MEDIUM_SESSION_DEGREE_BITS,
        MEDIUM_SESSION_LAYOUT: MEDIUM_SESSION_DEGREE_BITS,
        SEND_SESSION_LAYOUT: tree.degree_bits,
        MIXED_SESSION_LAYOUT: tree.degree_bits,
        FULL_SESSION_LAYOUT: tree.degree_bits,
    }
    assert {session.layout: session.degree_bits for session in circuits.sessions} == degrees
    for session in circuits.sessions:
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
    circuits: RollupCircuits, sized_traces: dict[int, SessionTrace]
) -> None:
    layouts = (SMALL_SESSION_LAYOUT, MEDIUM_SEND_SESSION_LAYOUT, SEND_SESSION_LAYOUT)
    small, medium, send = (circuits.session(layout) for layout in layouts)
    assert circuits.session_for(sized_traces[SMALL_USER]) is small
    assert circuits.session_for(sized_traces[MEDIUM_USER]) is medium
    assert circuits.session_for(sized_traces[FULL_USER]) is send
    send_step = sized_traces[FULL_USER].steps[0]
    for sends, expected in (
        (SMALL_SESSION_SLOTS, small),
        (SMALL_SESSION_SLOTS + 1, medium),
        (MEDIUM_SEND_SESSION_SLOTS, medium),
        (MEDIUM_SEND_SESSION_SLOTS + 1, send),
        (SEND_SESSION_SLOTS, send),
    ):
        assert (
            circuits.session_for(dataclasses.replace(sized_traces[FULL_USER], steps=(send_step,) * sends)) is expected
        )
    too_many = dataclasses.replace(sized_traces[FULL_USER], steps=(send_step,) * (SEND_SESSION_SLOTS + 1))
    with pytest.raises(SessionTooLargeError, match="split it"):
        circuits.session_for(too_many)
    seq = sending_chain(dict.fromkeys(SIZED_OPERATIONS, 0))
    plan = plan_block(2, [sized_traces[SMALL_USER], too_many], seq.state.global_tree, circuits.blocks.whitelist.root)
    with pytest.raises(BlockProvingError, match=r"block 2 could not be proven: .*split it"):
        plan_jobs(plan, {})


def test_the_whitelist_holds_one_key_per_session_size_variant_and_lift(circuits: RollupCircuits) -> None:
    blocks = circuits.blocks
    tree = blocks.aggregation.shape
    leaf_shapes = [session.data.common for session in circuits.sessions]
    shapes = [*leaf_shapes, tree]
    assert len(set(shapes)) == 4  # 2^9, 2^11 and 2^13 zero-knowledge leaves, and the tree's
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
    assert len(set(digests)) == len(digests) == 26  # 6 sessions, the batch, 16 aggregations, 3 lifts: of 32
    assert blocks.whitelist.depth == 5
    assert sorted(blocks.whitelist.digests) == sorted(digests)
    assert all(circuits.key(vk.circuit_digest) == vk for vk in keys)
    with pytest.raises(ValueError, match="no circuit"):
        circuits.key((1, 2, 3, 4))


def test_the_plan_names_each_nodes_key_by_its_childrens_shapes(
    circuits: RollupCircuits, sized_traces: dict[int, SessionTrace]
) -> None:
    seq = sending_chain(SIZED_OPERATIONS)
    before = seq.state.global_tree.copy()
    plan = plan_block(2, list(sized_traces.values()), before, circuits.blocks.whitelist.root)
    keys = circuits.node_keys(plan)
    for user, layout in (
        (SMALL_USER, SMALL_SESSION_LAYOUT),
        (MEDIUM_USER, MEDIUM_SEND_SESSION_LAYOUT),
        (FULL_USER, SEND_SESSION_LAYOUT),
    ):
        assert keys[f"session/{user}"] == circuits.session(layout).data.verifier_key
    aggregations = [node for node in plan.nodes() if node.children is not None]
    assert len(aggregations) == 2
    for node in aggregations:
        assert node.children is not None
        left, right = node.children
        expected = circuits.blocks.aggregation_for(keys[left.key].common, keys[right.key].common)
        assert keys[node.key] == expected.verifier_key


# ----------------------------------------------------------------------------- proofs of each shape (slow)


def test_a_wallet_proves_its_own_one_send_session_in_the_small_shape(circuits: RollupCircuits) -> None:
    seq = sending_chain({SMALL_USER: 0})
    session = SessionBuilder(seq.state, SMALL_USER, USER_KEYS.secret(SMALL_USER)).send(RECIPIENT, 3).build()
    proof = proof_from_bytes(prove_own_session(seq.state, session).file.proof)
    assert circuits.session_circuit_of(proof) is circuits.sessions[0]
    assert circuits.verify_session(proof).position == SMALL_USER


@pytest.fixture(scope="module")
def session_proofs(circuits: RollupCircuits, sized_traces: dict[int, SessionTrace]) -> dict[int, ChildProof]:
    root = circuits.blocks.whitelist.root
    proofs = {}
    for user, trace in sized_traces.items():
        circuit = circuits.session_for(trace)
        proofs[user] = ChildProof(circuit.prove(trace, session_statement(trace), root), circuit.data.verifier_key)
    return proofs


def twin_of(circuit: ChildProof) -> SessionCircuit:
    """A session circuit of the shape of ``circuit``'s proof with one send-only slot fewer (or one slot of any kind
    fewer): same shape, other constraints, outside the whitelist."""
    layout = next(
        layout for layout in BLOCK_TREE_LAYOUTS if BLOCK_TREE_LAYOUTS[layout] == circuit.vk.common.degree_bits
    )
    fewer = (
        SlotLayout(layout.any_slots, layout.send_slots - 1)
        if layout.send_slots
        else SlotLayout.of_any(layout.any_slots - 1)
    )
    common = circuit.vk.common
    return SessionCircuit.build(fewer, common.config, tree_shape=common)


@pytest.mark.slow
def test_a_session_proof_verifies_only_under_the_key_of_its_own_size(
    circuits: RollupCircuits, session_proofs: dict[int, ChildProof], sized_traces: dict[int, SessionTrace]
) -> None:
    degrees = {user: proof.vk.common.degree_bits for user, proof in session_proofs.items()}
    assert degrees == {
        SMALL_USER: SMALL_SESSION_DEGREE_BITS,
        MEDIUM_USER: MEDIUM_SESSION_DEGREE_BITS,
        FULL_USER: FULL_SESSION_DEGREE_BITS,
    }
    for proof in session_proofs.values():
        own = proof.vk
        verify_proof(own, proof.proof.proof, proof.proof.public_inputs)
        wrong = [
            *(session.data.verifier_key for session in circuits.sessions if session.data.verifier_key != own),
            circuits.blocks.aggregation.verifier_key,
            *(lift.verifier_key for lift in circuits.blocks.lifts.values()),
        ]
        assert len(wrong) == len(circuits.sessions) - 1 + 1 + 3
        for vk in wrong:
            with pytest.raises(VerificationError):
                verify_proof(vk, proof.proof.proof, proof.proof.public_inputs)
        assert circuits.verify_session(proof.proof) == session_statement(sized_traces[proof.proof.public_inputs[1]])
        assert circuits.child(proof.proof).vk == own
    # a session key of the same shape that is not the whitelisted circuit (one slot fewer) does not accept it
    for user in (SMALL_USER, MEDIUM_USER):
        proof = session_proofs[user]
        twin = twin_of(proof)
        assert twin.data.common == proof.vk.common and twin.data.verifier_key != proof.vk
        with pytest.raises(VerificationError):
            verify_proof(twin.data.verifier_key, proof.proof.proof, proof.proof.public_inputs)
        tampered = list(proof.proof.public_inputs)
        tampered[2] = (tampered[2] + 1) % P  # another old leaf
        with pytest.raises(VerificationError):
            circuits.verify_session(dataclasses.replace(proof.proof, public_inputs=tuple(tampered)))


@pytest.mark.slow
def test_a_child_in_a_slot_of_another_shape_or_outside_the_whitelist_cannot_be_aggregated(
    circuits: RollupCircuits, session_proofs: dict[int, ChildProof], sized_traces: dict[int, SessionTrace]
) -> None:
    blocks = circuits.blocks
    small, medium, full = (session_proofs[user] for user in (SMALL_USER, MEDIUM_USER, FULL_USER))
    statements = {user: NodeStatement.from_elements(p.proof.public_inputs) for user, p in session_proofs.items()}
    seq = sending_chain(SIZED_OPERATIONS)
    sib = {user: siblings_of(seq.state.global_tree, s) for user, s in statements.items()}
    for proof, slot_proof in ((small, medium), (medium, full), (medium, small)):
        both = blocks.aggregation_for(proof.vk.common, proof.vk.common)
        with pytest.raises(ValueError, match="shape this slot verifies"):
            both.prove(proof, slot_proof, blocks.whitelist)
        # a proof of another size presented under this size's key cannot even be laid into the slot's targets
        with pytest.raises(ValueError):
            both.prove(proof, ChildProof(slot_proof.proof, proof.vk), blocks.whitelist)
    # a circuit of the small or the medium shape outside the whitelist
    for user, proof in ((SMALL_USER, small), (MEDIUM_USER, medium)):
        twin = twin_of(proof)
        trace = sized_traces[user]
        foreign = ChildProof(twin.prove(trace, session_statement(trace), blocks.whitelist.root), twin.data.verifier_key)
        with pytest.raises(ValueError, match="not in the whitelist"):
            blocks.aggregate(foreign, full, sib[user], sib[FULL_USER])
    # the mixed variant takes them in order, not swapped (the combine's ordering rule)
    with pytest.raises(ValueError):
        blocks.aggregate(full, small, sib[FULL_USER], sib[SMALL_USER])


def layout_of_sends(sends: int) -> SlotLayout:
    """The layout the chooser gives a session of ``sends`` sends (at most SEND_SESSION_SLOTS)."""
    return next(layout for layout in BLOCK_TREE_LAYOUTS if sends <= layout.num_slots)


@pytest.mark.slow
@pytest.mark.parametrize("user", [SMALL_USER, MEDIUM_USER, FULL_USER])
def test_malicious_witnesses_are_rejected_in_every_tree_session_shape(
    circuits: RollupCircuits, sized_traces: dict[int, SessionTrace], user: int
) -> None:
    """A trace under another secret cannot be proven; a cheating prover's single changed wire (a copied amount,
    the new leaf, the data digest) gives a proof the circuit's key rejects."""
    trace = sized_traces[user]
    circuit = circuits.session_for(trace)
    assert circuit is circuits.session(layout_of_sends(SIZED_OPERATIONS[user]))
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
def test_blocks_of_small_medium_and_full_sessions_prove_and_verify_as_a_light_client() -> None:
    """A lone small, a lone medium and a lone full send session are each lifted by the lift of their shape; a
    block of all three aggregates them through the variants of their shapes."""
    c = rollup_circuits()
    lone = [{user: count} for user, count in SIZED_OPERATIONS.items()]
    for operations in (*lone, SIZED_OPERATIONS):
        seq = sending_chain(operations)
        seq.build_block()
        result = prove_stored_block(seq.storage, 2, LocalExecutor(1, in_process=True))
        statement = verify_block(c.block_verifier_key, result.proof, seq.storage.block(2).prev_root)
        assert statement.new_root == seq.storage.block(2).new_root
        for user, count in operations.items():
            session = proof_from_bytes(result.proofs[f"session/{user}"])
            assert c.child(session).vk == c.session(layout_of_sends(count)).data.verifier_key
        seq.close()
