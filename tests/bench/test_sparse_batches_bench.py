"""The sparse-batches benchmark proves the block it says and reports it (never how long anything takes)."""

from __future__ import annotations

from bench.sparse_batches import markdown, one_send_block
from rollup.block_plan import plan_block, session_statement
from rollup.block_proving import batchable_users
from rollup.params import BATCH_SESSIONS
from rollup.session_proving import operation_count
from verifier.hashing import ZERO_DIGEST


def test_the_block_is_one_send_per_consecutive_user_and_batches_by_subtree() -> None:
    traces, tree, number = one_send_block(BATCH_SESSIONS + 2)
    assert [t.user_id for t in traces] == list(range(1, BATCH_SESSIONS + 3))
    assert {operation_count(t) for t in traces} == {1}
    assert {session_statement(t).read_root for t in traces} == {tree.root} and number == 2
    plan = plan_block(number, traces, tree, ZERO_DIGEST, batchable=batchable_users(traces, {}))
    batches = [node.user_ids for node in plan.nodes() if node.batch is not None]
    assert sorted(batches) == [list(range(1, BATCH_SESSIONS)), list(range(BATCH_SESSIONS, BATCH_SESSIONS + 3))]


def test_the_table_puts_both_paths_side_by_side_with_the_load() -> None:
    row = {
        "users": 4,
        "per_session": {"cpu_s": 8.0, "per_tx_s": 2.0, "batch_proofs": 0, "session_proofs": 4, "aggregation_proofs": 3},
        "batches": {"cpu_s": 4.0, "per_tx_s": 1.0, "batch_proofs": 1, "session_proofs": 0, "aggregation_proofs": 0},
    }
    steady = {
        "session_s": 0.2,
        "session_aggregation_s": 2.2,
        "per_session_per_tx_s": 2.4,
        "batch_sessions": 16,
        "batch_s": 3.0,
        "batch_aggregation_s": 2.2,
        "batches_per_tx_s": 0.325,
    }
    text = markdown(steady, [row], ("1.00, 2.00, 3.00", "1.50, 2.00, 3.00"))
    assert "| one proof per session: (session + aggregation) / 1 | 0.200 | 2.200 | 2.400 |" in text
    assert "| batches: (batch of 16 + aggregation) / 16 | 3.000 | 2.200 | 0.325 |" in text
    assert "before: 1.00, 2.00, 3.00; after: 1.50, 2.00, 3.00" in text
    assert "| 4 users, one proof per session | 0 / 4 / 3 | 8.00 | 2.000 |" in text
    assert "| 4 users, batches | 1 / 0 / 0 | 4.00 | 1.000 |" in text
