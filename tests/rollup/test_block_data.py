"""Block data files: what anyone checks against a block proof's data root to rebuild the global tree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rollup.block import ExecutedBlock
from rollup.block_data import BlockData, BlockDataError, data_path
from rollup.sequencer import Sequencer
from rollup.witness import SessionPublicData
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
    forged = [
        dataclasses.replace(data, sessions=(SessionPublicData(first.user_id, first.deposit + 1, first.new_leaf),)),
        dataclasses.replace(data, sessions=data.sessions[1:]),
        dataclasses.replace(data, sessions=(*data.sessions[:-1], dataclasses.replace(first, new_leaf=(1, 2, 3, 4)))),
    ]
    for wrong in forged:
        with pytest.raises(BlockDataError, match="proven data root"):
            wrong.check_against(statement, "file")
    with pytest.raises(BlockDataError, match="another block"):
        dataclasses.replace(data, number=7).check_against(statement, "file")


@pytest.mark.parametrize("text", [b"", b"garbage", b'{"version": 2}', b'{"version": 1, "number": 0}'])
def test_a_malformed_data_file_is_refused(text: bytes) -> None:
    with pytest.raises(BlockDataError, match="not usable block data"):
        BlockData.from_bytes(text, "file")


def test_a_data_file_sits_beside_its_proof() -> None:
    assert data_path(Path("proofs/block-0003.proof")) == Path("proofs/block-0003.data")
    assert data_path(Path("out/latest")) == Path("out/latest.data")
