"""Block data files: what anyone checks against a block proof's data root to rebuild the global tree and
every outbox, and build claims without the operator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rollup.block import ExecutedBlock
from rollup.block_data import BlockData, BlockDataError, RebuiltState, apply_block_data, data_path
from rollup.errors import UnknownTransferError
from rollup.params import GLOBAL_TREE_DEPTH
from rollup.seed import SEED_USERS
from rollup.sequencer import Sequencer
from rollup.smt import SparseMerkleTree
from rollup.state import PublicUser
from rollup.witness import ClaimStep, verify_session_trace
from verifier.light_client import BlockStatement

Run = tuple[Sequencer, list[ExecutedBlock]]


def proven_statement(data: BlockData) -> BlockStatement:
    """The statement a valid proof of the block carries (the whitelist root is irrelevant here)."""
    from rollup.block import block_data_digest

    return BlockStatement(data.prev_root, data.new_root, data.number, block_data_digest(data.sessions), (0, 0, 0, 0))


def test_a_block_data_file_round_trips_and_matches_its_proven_data_root(seed_run: Run) -> None:
    _, blocks = seed_run
    for executed in blocks:
        data = BlockData.of(executed.block)
        assert BlockData.from_bytes(data.to_bytes(), "file") == data
        statement = dataclasses.replace(proven_statement(data), data_root=executed.block.data_digest)
        data.check_against(statement, "file")


def test_data_that_is_not_what_the_proof_binds_is_refused(seed_run: Run) -> None:
    _, blocks = seed_run
    data = BlockData.of(blocks[1].block)
    statement = dataclasses.replace(proven_statement(data), data_root=blocks[1].block.data_digest)
    first = data.sessions[0]
    assert first.appends, "the seed's block 2 appends records"
    record = first.appends[0]
    rest = data.sessions[1:]
    changed = [
        dataclasses.replace(first, deposit=first.deposit + 1),
        dataclasses.replace(first, outbox_root=(1, 2, 3, 4)),
        dataclasses.replace(first, opaque_digest=(1, 2, 3, 4)),
        dataclasses.replace(first, appends=first.appends[1:]),
        dataclasses.replace(first, appends=(dataclasses.replace(record, amount=record.amount + 1), *first.appends[1:])),
        dataclasses.replace(first, appends=(dataclasses.replace(record, recipient=record.recipient + 1),)),
        dataclasses.replace(first, appends=(*first.appends, dataclasses.replace(record, index=len(first.appends)))),
    ]
    forged = [dataclasses.replace(data, sessions=(entry, *rest)) for entry in changed]
    forged.append(dataclasses.replace(data, sessions=rest))
    for wrong in forged:
        with pytest.raises(BlockDataError, match="proven data root"):
            wrong.check_against(statement, "file")
    with pytest.raises(BlockDataError, match="another block"):
        dataclasses.replace(data, number=7).check_against(statement, "file")


@pytest.mark.parametrize(
    "text", [b"", b"garbage", b'{"version": 2}', b'{"version": 1, "number": 0}', b'{"version": 2, "sessions": {}}']
)
def test_a_malformed_data_file_is_refused(text: bytes) -> None:
    with pytest.raises(BlockDataError, match="not usable block data"):
        BlockData.from_bytes(text, "file")


def test_a_data_file_sits_beside_its_proof() -> None:
    assert data_path(Path("proofs/block-0003.proof")) == Path("proofs/block-0003.data")
    assert data_path(Path("out/latest")) == Path("out/latest.data")


def replayed(blocks: list[ExecutedBlock]) -> tuple[SparseMerkleTree, dict[int, PublicUser]]:
    """The public state after replaying every block's data file content, as a rebuild does."""
    tree, users = SparseMerkleTree(GLOBAL_TREE_DEPTH), {}
    for executed in blocks:
        data = BlockData.from_bytes(BlockData.of(executed.block).to_bytes(), "file")
        apply_block_data(tree, users, data, "file")
        assert tree.root == executed.block.new_root
    return tree, users


def test_replaying_the_data_files_rebuilds_the_global_tree_and_every_outbox(seed_run: Run) -> None:
    sequencer, blocks = seed_run
    tree, users = replayed(blocks)
    state = sequencer.state
    assert tree.root == state.root and set(users) == set(state.users)
    for user_id, operator_tree in state.users.items():
        assert users[user_id].outbox.records == operator_tree.outbox.records
        assert users[user_id].outbox.root == operator_tree.outbox.root
        assert users[user_id].opaque_digest() == operator_tree.opaque_digest()
        assert users[user_id].leaf() == state.leaf(user_id)


def test_a_claim_needs_nothing_of_the_sender_but_the_published_data(seed_run: Run) -> None:
    """Jack's claim of Sam's record 0 in block 3, with Sam's evidence taken from the replayed data files
    alone (no operator database), verifies against the proven root as the honest trace does."""
    _, blocks = seed_run
    tree, users = replayed(blocks[:2])
    rebuilt = RebuiltState(tree, users, (), (), None)
    jack_trace = next(item.trace for item in blocks[2].sessions if item.trace.user_id == SEED_USERS["Jack"])
    steps = []
    for step in jack_trace.steps:
        assert isinstance(step, ClaimStep)
        evidence = rebuilt.sender_proof(step.op.sender_id, step.op.outbox_index)
        assert evidence == step.sender
        steps.append(dataclasses.replace(step, sender=evidence))
    assert verify_session_trace(dataclasses.replace(jack_trace, steps=tuple(steps))) == jack_trace.public_data()
    with pytest.raises(UnknownTransferError):
        rebuilt.sender_proof(SEED_USERS["Sam"], 7)


def test_appends_that_do_not_continue_the_outbox_are_refused(seed_run: Run) -> None:
    _, blocks = seed_run
    tree, users = replayed(blocks[:1])
    data = BlockData.of(blocks[1].block)
    first = data.sessions[0]
    one, two = first.appends
    for appends in ((two, one), (one, dataclasses.replace(two, index=5))):
        forged = dataclasses.replace(data, sessions=(dataclasses.replace(first, appends=appends), *data.sessions[1:]))
        with pytest.raises(BlockDataError, match="next outbox slot"):
            apply_block_data(tree.copy(), dict(users), forged, "file")
    swapped = dataclasses.replace(data, sessions=(dataclasses.replace(first, appends=(one,)), *data.sessions[1:]))
    with pytest.raises(BlockDataError, match="published outbox root"):
        apply_block_data(tree.copy(), dict(users), swapped, "file")
