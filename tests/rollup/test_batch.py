"""Batches of delegated sessions: one proof of the sessions of a subtree and of its update (docs/recursion.md).

The native rule (``batch_nodes``) and the plan are fast; the circuit's honest proofs, its malicious
witnesses, tampered proofs and a block proven with a batch node are slow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from keys_support import USER_KEYS
from tests_support import element_paths, replace_at, tamper

from prover.jobs import LocalExecutor
from rollup.block_plan import (
    Batch,
    BlockProvingError,
    batch_nodes,
    batch_of,
    plan_block,
    plan_leaves,
    session_statement,
)
from rollup.block_proving import RollupCircuits, batchable_users, prove_stored_block, rollup_circuits
from rollup.params import BATCH_LEVEL, BATCH_SESSIONS, BATCH_SLOTS
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.smt import SparseMerkleTree
from rollup.witness import SessionTrace
from rollup.workload import register_users
from verifier.field import P
from verifier.hashing import ZERO_DIGEST
from verifier.light_client import verify_block
from verifier.plonk import VerificationError
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_from_bytes

BATCHED = (3, 5, 9)
"""Users of the subtree of height BATCH_LEVEL at 0."""
OUTSIDER = 40
"""A user of another subtree."""
FORGED = (1, 2, 3, 4)
"""A digest no honest path holds."""


@dataclasses.dataclass
class Chain:
    """Block 1 registers every user; block 2: 3 -> 5, 9 -> 3, 40 -> 3; block 3: 5 claims 3's send, 9 -> 40."""

    seq: Sequencer
    trees: list[SparseMerkleTree]
    """The global tree before blocks 1, 2 and 3."""
    traces: list[dict[int, SessionTrace]]
    """Block 1's, 2's and 3's traces by user."""


def build_chain() -> Chain:
    seq = Sequencer.in_memory()
    trees, traces = [], []

    def block(sessions: list[tuple[int, Callable[[SessionBuilder], SessionBuilder]]]) -> None:
        trees.append(seq.state.global_tree.copy())
        for user, add in sessions:
            seq.submit(add(SessionBuilder(seq.state, user, USER_KEYS.secret(user))).build())
        traces.append({item.trace.user_id: item.trace for item in seq.build_block().sessions})

    trees.append(seq.state.global_tree.copy())
    traces.append(
        {item.trace.user_id: item.trace for item in register_users(seq, [*BATCHED, OUTSIDER], 100, USER_KEYS).sessions}
    )
    block([(3, lambda s: s.send(5, 10)), (9, lambda s: s.send(3, 5)), (OUTSIDER, lambda s: s.send(3, 1))])
    block([(5, lambda s: s.claim(3, 0)), (9, lambda s: s.send(OUTSIDER, 2))])
    return Chain(seq, trees, traces)


@pytest.fixture(scope="module")
def chain() -> Chain:
    return build_chain()


def batch_for(chain: Chain, block: int, users: tuple[int, ...]) -> Batch:
    return batch_of(chain.trees[block - 1], [chain.traces[block - 1][u] for u in users], BATCH_LEVEL)


# ----------------------------------------------------------------------------- native rule and plan (fast)


def test_a_batch_has_room_for_every_session_of_its_subtree() -> None:
    assert BATCH_SESSIONS == 1 << BATCH_LEVEL


@pytest.mark.parametrize("block", [1, 2, 3])
def test_the_batch_statement_is_the_subtree_before_and_after_the_block(chain: Chain, block: int) -> None:
    users = tuple(u for u in BATCHED if u in chain.traces[block - 1])
    statement = batch_nodes(batch_for(chain, block, users))
    before, after = chain.trees[block - 1], chain.trees[block] if block < 3 else chain.seq.state.global_tree
    data = SparseMerkleTree(BATCH_LEVEL)
    data.set_leaves({u: chain.traces[block - 1][u].public_data().digest() for u in users})
    assert (statement.level, statement.position) == (BATCH_LEVEL, 0)
    assert statement.old_root == before.node(BATCH_LEVEL, 0) and statement.new_root == after.node(BATCH_LEVEL, 0)
    assert statement.read_root == before.root and statement.data_root == data.root


def descending_batch(chain: Chain) -> Batch:
    """Block 2's sessions of users 9 then 3, each with its true siblings in that order: only the order is wrong."""
    first, second = chain.traces[1][9], chain.traces[1][3]
    after_first = chain.trees[1].copy()
    after_first.set_leaf(9, first.new_leaf)
    data = SparseMerkleTree(BATCH_LEVEL)
    data.set_leaf(9, first.public_data().digest())
    return dataclasses.replace(
        batch_for(chain, 2, (9,)),
        traces=(first, second),
        siblings=(chain.trees[1].siblings(9)[:BATCH_LEVEL], after_first.siblings(3)[:BATCH_LEVEL]),
        data_siblings=(SparseMerkleTree(BATCH_LEVEL).siblings(9), data.siblings(3)),
    )


def rejected(batch: Batch, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        batch_nodes(batch)


def test_the_native_rule_rejects_every_attack(chain: Chain) -> None:
    honest = batch_for(chain, 2, (3, 9))
    twice = dataclasses.replace(honest, traces=(honest.traces[0], honest.traces[0]))
    rejected(twice, "not after the batch's previous user")
    rejected(descending_batch(chain), "not after the batch's previous user")
    outside = dataclasses.replace(honest, traces=(honest.traces[0], chain.traces[1][OUTSIDER]))
    rejected(outside, "inside its subtree")
    wrong_sibling = dataclasses.replace(honest, siblings=((FORGED, *honest.siblings[0][1:]), honest.siblings[1]))
    rejected(wrong_sibling, "old leaf is not under")
    rejected(dataclasses.replace(honest, old_root=chain.trees[0].node(BATCH_LEVEL, 0)), "old leaf is not under")
    mixed = dataclasses.replace(honest, traces=(honest.traces[0], chain.traces[2][9]))
    rejected(mixed, "read another root")
    wrong_data = dataclasses.replace(honest, data_siblings=(honest.data_siblings[0], honest.data_siblings[0]))
    rejected(wrong_data, "data path")
    with pytest.raises(ValueError, match="one subtree"):
        batch_of(chain.trees[1], [chain.traces[1][3], chain.traces[1][OUTSIDER]], BATCH_LEVEL)


def test_the_plan_batches_delegated_sessions_alone_in_their_subtree(chain: Chain) -> None:
    traces = list(chain.traces[1].values())
    plan = plan_block(2, traces, chain.trees[1], ZERO_DIGEST, batchable=batchable_users(traces, {}))
    leaves = {n.key: n for n in plan.nodes() if n.children is None}
    assert set(leaves) == {f"agg/{BATCH_LEVEL}/0", f"session/{OUTSIDER}"}  # the outsider is alone
    batch = leaves[f"agg/{BATCH_LEVEL}/0"]
    assert batch.batch is not None and batch.user_ids == [3, 9] and batch.statement == batch_nodes(batch.batch)
    unbatched = plan_block(2, traces, chain.trees[1], ZERO_DIGEST)
    assert plan.statement == unbatched.statement
    assert (plan.statement.new_root, plan.statement.data_root) == (
        chain.seq.storage.block(2).new_root,
        chain.seq.storage.block(2).data_digest,
    )
    # an own-proven session (its proof is stored) keeps its subtree's sessions leaves of their own
    own = batchable_users(traces, {"session/9": b""})
    assert own == {3, OUTSIDER}
    assert all(n.batch is None for n in plan_block(2, traces, chain.trees[1], ZERO_DIGEST, batchable=own).nodes())


def test_a_subtree_holding_a_session_its_user_proved_is_never_batched(chain: Chain) -> None:
    traces = [chain.traces[1][3], chain.traces[1][9]]
    assert any(n.batch is not None for n in plan_leaves(2, traces, chain.trees[1], {3, 9}))
    # an own-proven session of user 5 (same height-4 subtree) is a leaf of its own: a batch over the
    # subtree would cover it, so the delegated sessions beside it stay leaves of their own too
    leaves = plan_leaves(2, traces, chain.trees[1], {3, 9}, proven_users={5})
    assert [(n.key, n.batch) for n in leaves] == [("session/3", None), ("session/9", None)]


def test_a_session_too_large_for_a_batch_entry_is_not_batchable(chain: Chain) -> None:
    small = chain.traces[1][3]
    large = dataclasses.replace(chain.traces[1][9], steps=chain.traces[1][9].steps * (BATCH_SLOTS + 1))
    assert batchable_users([small, large], {}) == {3}


def test_a_batch_that_does_not_follow_from_the_tree_fails_the_plan(chain: Chain) -> None:
    traces = [chain.traces[1][3], chain.traces[2][9]]  # sessions of two blocks: different read roots
    with pytest.raises(BlockProvingError, match="read another root"):
        plan_block(2, traces, chain.trees[1], ZERO_DIGEST, batchable={3, 9})


# ----------------------------------------------------------------------------- the circuit (slow)


@pytest.fixture(scope="module")
def circuits() -> RollupCircuits:
    return rollup_circuits()


@pytest.mark.slow
def test_an_honest_batch_proof_verifies_and_states_the_native_statement(chain: Chain, circuits: RollupCircuits) -> None:
    root = circuits.blocks.whitelist.root
    batch = batch_for(chain, 3, (5, 9))  # a claim and a send
    proof = circuits.batch.prove(batch, root)
    assert circuits.batch.verify(proof) == batch_nodes(batch)
    assert proof.public_inputs == (*batch_nodes(batch).elements(), *root)
    shape = circuits.batch.verifier_key.common  # the full session's: zero-knowledge, the tree's degree
    assert shape == circuits.sessions[-1].data.common and shape.config.zero_knowledge
    assert circuits.child(proof).vk == circuits.batch.verifier_key
    paths = element_paths(proof.proof)
    for path in paths[:: max(1, len(paths) // 40)]:
        forged = replace_at(proof.proof, path, tamper)
        with pytest.raises(VerificationError):
            circuits.batch.verify(ProofWithPublicInputs(forged, proof.public_inputs))  # type: ignore[arg-type]
    for index in range(len(proof.public_inputs)):
        inputs = list(proof.public_inputs)
        inputs[index] = (inputs[index] + 1) % P
        with pytest.raises(VerificationError):
            circuits.batch.verify(ProofWithPublicInputs(proof.proof, tuple(inputs)))


@pytest.mark.slow
def test_a_malicious_batch_witness_gives_no_proof(chain: Chain, circuits: RollupCircuits) -> None:
    """Each attack skips the native rule and goes straight to the circuit, which must refuse a witness."""
    root = circuits.blocks.whitelist.root
    honest = batch_for(chain, 2, (3, 9))
    claim = batch_for(chain, 3, (5, 9))
    attacks = {
        "users in descending order": descending_batch(chain),
        "the same user twice": dataclasses.replace(honest, traces=(honest.traces[0], honest.traces[0])),
        "a user outside the subtree": dataclasses.replace(honest, traces=(honest.traces[0], chain.traces[1][OUTSIDER])),
        "a wrong sibling": dataclasses.replace(
            honest, siblings=(honest.siblings[0], (FORGED, *honest.siblings[1][1:]))
        ),
        "old leaves not under the old root": dataclasses.replace(honest, old_root=chain.trees[0].node(BATCH_LEVEL, 0)),
        "a claim against another read root": dataclasses.replace(
            claim, traces=(dataclasses.replace(claim.traces[0], read_root=chain.trees[1].root), claim.traces[1])
        ),
        "an occupied data slot": dataclasses.replace(
            honest, data_siblings=(honest.data_siblings[0], honest.data_siblings[0])
        ),
    }
    for what, batch in attacks.items():
        with pytest.raises(ValueError):
            batch_nodes(batch)
        with pytest.raises(ValueError):  # witness generation fails (or proving: ProvingError is a ValueError)
            circuits.batch.prove(batch, root)
            pytest.fail(f"{what}: the batch circuit proved a malicious witness")


@pytest.mark.slow
def test_a_block_proves_with_a_batch_node(chain: Chain, circuits: RollupCircuits) -> None:
    seq = Sequencer.in_memory()
    register_users(seq, [*BATCHED, OUTSIDER], 100, USER_KEYS)
    result = prove_stored_block(seq.storage, 1, LocalExecutor(1, in_process=True))
    batch_key = f"agg/{BATCH_LEVEL}/0"
    assert set(result.proofs) == {batch_key, f"session/{OUTSIDER}", "agg/6/0", "block"}
    batch = proof_from_bytes(result.proofs[batch_key])
    assert circuits.child(batch).vk == circuits.batch.verifier_key
    statement = verify_block(circuits.block_verifier_key, result.proof, seq.storage.block(1).prev_root)
    assert statement.new_root == seq.storage.block(1).new_root
    assert session_statement(chain.traces[0][3]).read_root == statement.prev_root
    seq.close()
    # block 3 of the module's chain holds users 5 and 9 only: one batch at the top, lifted for the block circuit
    lone = prove_stored_block(chain.seq.storage, 3, LocalExecutor(1, in_process=True))
    assert set(lone.proofs) == {batch_key, "block"}
    verify_block(circuits.block_verifier_key, lone.proof, chain.seq.storage.block(3).prev_root)
