"""Block proving: the aggregation plan (fast), and real block proofs end to end (slow)."""

from __future__ import annotations

import dataclasses
import random
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from keys_support import SEED_KEYS, USER_KEYS

from prover.jobs import DaskExecutor, LocalExecutor
from rollup.block_plan import (
    BLOCK_NODE,
    BlockProvingError,
    NodeStatement,
    check_plan_matches_block,
    plan_block,
    siblings_of,
)
from rollup.block_proving import ProofReuse, prove_stored_block, rollup_circuits
from rollup.seed import SEED_USERS, run_seed_scenario, seed_balance_rows
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.storage import Storage
from rollup.workload import random_send_sessions, register_users
from verifier.config import SHRINK_CONFIG
from verifier.hashing import ZERO_DIGEST
from verifier.light_client import BlockRejectedError, verify_block
from verifier.serialization import proof_from_bytes, proof_size
from verifier.soundness import require_documented_security

FAKE_WHITELIST_ROOT = ZERO_DIGEST


def chain_with_registrations(users: list[int], directory: Path | None = None) -> Sequencer:
    seq = Sequencer.open(directory) if directory else Sequencer.in_memory()
    register_users(seq, users, 100, USER_KEYS)
    return seq


# ----------------------------------------------------------------------------- the plan (fast)


@pytest.mark.parametrize("seed", range(4))
def test_plan_is_a_trie_whose_root_matches_the_block(seed: int) -> None:
    rng = random.Random(seed)
    users = sorted(rng.sample(range(1, 1 << 12), rng.randrange(2, 12)))
    seq = chain_with_registrations(users)
    before = seq.state.global_tree.copy()
    for session in random_send_sessions(seq.state, len(users), rng, USER_KEYS):
        seq.submit(session)
    executed = seq.build_block()
    plan = plan_block(executed.block.number, [s.trace for s in executed.sessions], before, FAKE_WHITELIST_ROOT)
    nodes = plan.nodes()
    sessions = [n for n in nodes if n.children is None]
    aggregations = [n for n in nodes if n.children is not None]
    assert len(aggregations) == len(sessions) - 1
    assert sorted(plan.top.user_ids) == sorted(executed.block.user_ids)
    assert plan.statement.prev_root == executed.block.prev_root
    assert plan.statement.new_root == executed.block.new_root
    assert plan.statement.data_root == executed.block.data_digest
    for node in aggregations:
        assert node.children is not None
        left, right = node.children
        assert max(left.user_ids) < min(right.user_ids)  # disjoint, ordered subtrees
        assert node.statement.level > max(left.statement.level, right.statement.level)


def test_plan_rejects_an_empty_block() -> None:
    seq = chain_with_registrations([1, 2])
    with pytest.raises(BlockProvingError, match="no sessions"):
        plan_block(1, [], seq.state.global_tree, FAKE_WHITELIST_ROOT)


@pytest.mark.parametrize(
    ("field", "what"),
    [("number", "number"), ("prev_root", "previous root"), ("new_root", "new root"), ("data_digest", "data digest")],
)
def test_plan_must_match_the_stored_block(field: str, what: str) -> None:
    """A stored block inconsistent with its replayed sessions is refused before anything is proven."""
    seq = chain_with_registrations([1, 2])
    before = seq.state.global_tree.copy()
    seq.submit(SessionBuilder(seq.state, 1, USER_KEYS.secret(1)).send(2, 10).build())
    executed = seq.build_block()
    plan = plan_block(2, [s.trace for s in executed.sessions], before, FAKE_WHITELIST_ROOT)
    check_plan_matches_block(plan, executed.block)
    value = getattr(executed.block, field)
    changed: Any = value + 1 if isinstance(value, int) else (value[0] ^ 1, *value[1:])
    with pytest.raises(BlockProvingError, match=f"the planned {what} differs"):
        check_plan_matches_block(plan, dataclasses.replace(executed.block, **{field: changed}))


# ----------------------------------------------------------------------------- real proofs (slow)


@pytest.fixture(scope="module")
def circuits() -> object:
    return rollup_circuits()


@pytest.mark.slow
@pytest.mark.e2e
def test_seed_scenario_blocks_prove_and_verify_with_the_verifier_only(tmp_path: Path, circuits: object) -> None:
    seq = Sequencer.open(tmp_path)
    run_seed_scenario(seq, SEED_KEYS)
    vk = rollup_circuits().block_verifier_key
    with nullcontext(LocalExecutor(2)) as executor:
        for number in range(1, seq.storage.latest_block_number() + 1):
            result = prove_stored_block(seq.storage, number, executor)
            block = seq.storage.block(number)
            statement = verify_block(vk, result.proof, block.prev_root)
            assert (statement.new_root, statement.data_root, statement.block_number) == (
                block.new_root,
                block.data_digest,
                number,
            )
            with pytest.raises(BlockRejectedError):
                verify_block(vk, result.proof, block.new_root)  # not the root it extends
    finals = {row.name: row.balance for row in seed_balance_rows(seq.state)}
    assert finals == {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}
    assert set(finals) == set(SEED_USERS)


@pytest.mark.slow
def test_same_block_with_one_two_workers_and_dask_gives_one_root(tmp_path: Path, circuits: object) -> None:
    users = [3, 9]
    roots = []
    for name, make in (
        ("one", lambda: nullcontext(LocalExecutor(1))),
        ("two", lambda: nullcontext(LocalExecutor(2))),
        ("dask", lambda: DaskExecutor()),
    ):
        seq = chain_with_registrations(users, tmp_path / name)
        with make() as executor:
            result = prove_stored_block(seq.storage, 1, executor)
        verify_block(rollup_circuits().block_verifier_key, result.proof, seq.storage.block(1).prev_root)
        roots.append(result.plan.statement.new_root)
        seq.close()
    assert roots[0] == roots[1] == roots[2]


@pytest.mark.slow
def test_a_lone_zero_knowledge_session_is_lifted_into_the_block_proof(tmp_path: Path, circuits: object) -> None:
    """Session proofs of the tree are zero-knowledge; a block of one session lifts it to the tree's shape
    (a registration takes no slot, so the small session circuit proves it)."""
    seq = chain_with_registrations([7], tmp_path)
    result = prove_stored_block(seq.storage, 1, LocalExecutor(1, in_process=True))
    session = proof_from_bytes(result.proofs["session/7"])
    key = rollup_circuits().child(session).vk
    assert key.common.config.zero_knowledge
    assert key.common != rollup_circuits().blocks.aggregation.shape
    assert key == rollup_circuits().sessions[0].data.verifier_key
    verify_block(rollup_circuits().block_verifier_key, result.proof, seq.storage.block(1).prev_root)
    seq.close()


BLOCK_PROOF_TARGET_BYTES = 64_000
"""Issue 16's target for the block proof (131,182 bytes in the tree's configuration, before shrinking)."""


@pytest.mark.slow
def test_the_block_proof_is_shrunk_below_64_kb_at_the_documented_security(circuits: object) -> None:
    seq = chain_with_registrations([7, 8])
    result = prove_stored_block(seq.storage, 1, LocalExecutor(1, in_process=True))
    vk = rollup_circuits().block_verifier_key
    data = result.proofs[BLOCK_NODE]
    assert len(data) == proof_size(vk.common) <= BLOCK_PROOF_TARGET_BYTES
    assert (vk.common.config, vk.common.degree_bits) == (SHRINK_CONFIG, 12)
    figures = require_documented_security(vk)
    assert (figures.conjectured_bits, figures.proven_bits) == (100, 61.5)
    assert verify_block(vk, proof_from_bytes(data), seq.storage.block(1).prev_root).block_number == 1
    tree = rollup_circuits().blocks.aggregation.shape  # the tree's proofs stay in its configuration
    assert tree.config != SHRINK_CONFIG and proof_size(tree) > 2 * BLOCK_PROOF_TARGET_BYTES


@pytest.mark.slow
def test_restarted_prover_resumes_from_stored_proofs(tmp_path: Path, circuits: object) -> None:
    seq = chain_with_registrations([5, 6, 40])
    storage: Storage = seq.storage
    first = prove_stored_block(storage, 1, LocalExecutor(1, in_process=True))
    assert set(storage.block_proofs(1)) == set(first.proofs)
    # simulate a crash after the session proofs: keep only those
    for node in list(first.proofs):
        if not node.startswith("session/"):
            storage._db.execute("DELETE FROM proofs WHERE block = 1 AND node = ?", (node,))
    storage._db.commit()
    second = prove_stored_block(storage, 1, LocalExecutor(1, in_process=True))
    assert second.run is not None
    assert not any(key.startswith("session/") for key in second.run.records)
    assert BLOCK_NODE in second.run.records
    assert second.plan.statement == first.plan.statement


@pytest.mark.slow
def test_verified_reuse_proves_again_only_the_stored_proofs_that_do_not_verify(circuits: object) -> None:
    seq = chain_with_registrations([5, 40])  # two subtrees of height BATCH_LEVEL: two session proofs, no batch
    storage: Storage = seq.storage
    prove_stored_block(storage, 1, LocalExecutor(1, in_process=True))
    storage.write_proof(1, "session/5", b"garbage")
    discarded: list[tuple[int, str]] = []
    second = prove_stored_block(
        storage,
        1,
        LocalExecutor(1, in_process=True),
        reuse=ProofReuse.VERIFIED,
        on_discarded=lambda number, node, reason: discarded.append((number, node)),
    )
    assert discarded == [(1, "session/5")]
    assert second.run is not None and set(second.run.records) == {"session/5"}
    assert storage.block_proofs(1)["session/5"] != b"garbage"
    verify_block(rollup_circuits().block_verifier_key, second.proof, storage.block(1).prev_root)


@pytest.mark.slow
def test_aggregation_rejects_overlapping_children_and_mixed_read_roots(circuits: object) -> None:
    c = rollup_circuits()
    seq = chain_with_registrations([5, 40])  # two subtrees of height BATCH_LEVEL: two session proofs, no batch
    before = seq.state.global_tree.copy()
    for sender, recipient in ((5, 40), (40, 5)):
        seq.submit(SessionBuilder(seq.state, sender, USER_KEYS.secret(sender)).send(recipient, 10).build())
    executed = seq.build_block()
    result = prove_stored_block(seq.storage, 2, LocalExecutor(1, in_process=True))
    proofs = [c.child(proof_from_bytes(result.proofs[f"session/{u}"])) for u in (5, 40)]
    statements = [NodeStatement.from_elements(p.proof.public_inputs) for p in proofs]
    sib = [siblings_of(before, s) for s in statements]
    # the same session twice: overlapping subtrees
    with pytest.raises(ValueError):
        c.blocks.aggregate(proofs[0], proofs[0], sib[0], sib[0])
    # right child on the left
    with pytest.raises(ValueError):
        c.blocks.aggregate(proofs[1], proofs[0], sib[1], sib[0])
    # a block-1 session (reads another root) mixed with a block-2 session
    block1 = prove_stored_block(seq.storage, 1, LocalExecutor(1, in_process=True))
    old = c.child(proof_from_bytes(block1.proofs["session/5"]))
    with pytest.raises(ValueError):
        c.blocks.aggregate(old, proofs[1], sib[0], sib[1])
    assert executed.block.number == 2
