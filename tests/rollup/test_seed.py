"""The seed scenario: registrations, six sends in one block, claims in the next, final balance table."""

from __future__ import annotations

import itertools

from rich.console import Console

from rollup.block import ExecutedBlock
from rollup.seed import SEED_START_BALANCE, SEED_TRANSFERS, SEED_USERS, balance_table, seed_balance_rows
from rollup.sequencer import Sequencer
from rollup.witness import verify_session_trace

EXPECTED_FINAL = {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}


def test_final_balances(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    sequencer, _ = seed_run
    finals = {name: sequencer.state.user(user_id).balance for name, user_id in SEED_USERS.items()}
    assert finals == EXPECTED_FINAL


def test_block_shapes(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    sequencer, blocks = seed_run
    assert [b.block.number for b in blocks] == [1, 2, 3]
    senders = sorted({SEED_USERS[sender] for sender, _, _ in SEED_TRANSFERS})
    recipients = sorted({SEED_USERS[recipient] for _, recipient, _ in SEED_TRANSFERS})
    assert blocks[0].block.user_ids == tuple(sorted(SEED_USERS.values()))
    assert blocks[1].block.user_ids == tuple(senders)
    assert blocks[2].block.user_ids == tuple(recipients)
    assert [e.deposit for e in blocks[0].block.public_data] == [SEED_START_BALANCE] * 4
    assert all(e.deposit == 0 for b in blocks[1:] for e in b.block.public_data)
    for previous, current in itertools.pairwise(blocks):
        assert current.block.prev_root == previous.block.new_root
    assert sequencer.state.root == blocks[-1].block.new_root
    assert len({b.block.new_root for b in blocks}) == 3
    sends = sum(len(item.trace.steps) for item in blocks[1].sessions)
    claims = sum(len(item.trace.steps) for item in blocks[2].sessions)
    assert sends == claims == len(SEED_TRANSFERS)


def test_every_trace_verifies(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    _, blocks = seed_run
    for executed in blocks:
        for item in executed.sessions:
            assert verify_session_trace(item.trace) == item.trace.public_data()


def test_balance_rows_and_table(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    sequencer, _ = seed_run
    rows = seed_balance_rows(sequencer.state)
    assert [row.name for row in rows] == list(SEED_USERS)
    assert {row.name: row.balance for row in rows} == EXPECTED_FINAL
    expected_sent = {name: sum(a for s, _, a in SEED_TRANSFERS if s == name) for name in SEED_USERS}
    expected_received = {name: sum(a for _, r, a in SEED_TRANSFERS if r == name) for name in SEED_USERS}
    for row in rows:
        assert row.incoming == 0
        assert row.sent == expected_sent[row.name]
        assert row.received == expected_received[row.name]
        assert row.balance == SEED_START_BALANCE - row.sent + row.received
    console = Console(record=True, width=100)
    console.print(balance_table(rows))
    text = console.export_text()
    for row in rows:
        assert row.name in text and str(row.balance) in text
    assert "total" in text and "400" in text


def test_supply_after_seed(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    sequencer, _ = seed_run
    assert sequencer.state.known_supply() == 4 * SEED_START_BALANCE
    assert list(sequencer.state.unclaimed_transfers()) == []
