"""The sized-sessions benchmark computes and reports what it says (never how long anything takes)."""

from __future__ import annotations

from pathlib import Path

from bench.sized_sessions import claim_count, claiming_trace, markdown, plot, traces_of_block
from rollup.block_plan import session_statement
from rollup.session_proving import operation_count


def synthetic_result() -> dict[str, object]:
    rows = [
        {"ops": 1, "new_rows_log2": 9, "old_session_s": 2.0, "old_aggregation_s": 1.0, "old_per_tx_s": 3.0,
         "new_session_s": 0.5, "new_aggregation_s": 1.0, "new_per_tx_s": 1.5},
        {"ops": 66, "new_rows_log2": 13, "new_session_s": 2.0, "new_aggregation_s": 1.3, "new_per_tx_s": 0.05},
    ]  # fmt: skip
    full = [
        {"kind": "any", "ops": 67, "claims": 0, "session_s": 2.5, "aggregation_s": 2.0, "per_tx_s": 4.5 / 67},
        {"kind": "send", "ops": 204, "claims": 0, "session_s": 2.6, "aggregation_s": 2.0, "per_tx_s": 4.6 / 204},
        {"kind": "any, claims", "ops": 67, "claims": 16, "session_s": 2.5, "aggregation_s": 2.0, "per_tx_s": 4.5 / 67},
        {"kind": "mixed", "ops": 171, "claims": 16, "session_s": 2.6, "aggregation_s": 2.0, "per_tx_s": 4.6 / 171},
    ]
    medium = [
        {"ops": 8, "old_session_s": 2.5, "old_aggregation_s": 2.0, "old_per_tx_s": 4.5 / 8,
         "new_session_s": 0.7, "new_aggregation_s": 2.0, "new_per_tx_s": 2.7 / 8},
    ]  # fmt: skip
    return {
        "per_operation": rows,
        "medium_sessions": medium,
        "full_sessions": full,
        "sparse_block": {"users": 4, "new_s": 8.0, "all_full_s": 16.0},
        "build": {"new_s": 17.0, "old_s": 10.0, "sessions": 5, "variants": 15, "lifts": 3},
    }


def test_the_tables_carry_the_ratio_and_the_per_transaction_figures() -> None:
    text = markdown(synthetic_result())
    assert "| 1 | 2.000 | 1.000 | 3.000 | 0.500 | 2^9 | 1.000 | 1.500 | 0.50 |" in text
    assert "| 66 |  |  |  | 2.000 | 2^13 | 1.300 | 0.050 |  |" in text  # no old row: 66 did not fit the old circuit
    assert "| 16.000 | 4.000 |" in text and "| 8.000 | 2.000 |" in text
    assert (
        "| 10.000 |" in text
        and "| new (5 session circuits, 15 aggregation variants + plain, 3 lifts, block) | 17.000 |" in text
    )
    assert "| 8 | 2.500 | 2.000 | 562.5 | 0.700 | 2.000 | 337.5 | 0.60 |" in text  # full send session, then medium
    assert "| old: slots of any kind, sends | 67 | 0 | 2.500 | 2.000 | 67.2 |" in text
    assert "| new: send-only slots, sends | 204 | 0 | 2.600 | 2.000 | 22.5 |" in text
    assert "| old: slots of any kind, claims first | 67 | 16 | 2.500 | 2.000 | 67.2 |" in text
    assert "| new: mixed (slots of any kind, then send-only), claims first | 171 | 16 | 2.600 | 2.000 | 26.9 |" in text


def test_the_plot_is_written(tmp_path: Path) -> None:
    path = tmp_path / "cpu_per_transaction.png"
    result = synthetic_result()
    plot(result["per_operation"], result["full_sessions"], path)  # type: ignore[arg-type]
    assert path.read_bytes().startswith(b"\x89PNG")


def test_benchmark_blocks_hold_sessions_of_the_asked_size_reading_one_root() -> None:
    traces, tree, number = traces_of_block(3, 2)
    assert [operation_count(t) for t in traces] == [2, 2, 2]
    assert {session_statement(t).read_root for t in traces} == {tree.root}
    assert number == 2


def test_the_claiming_session_has_its_claims_first() -> None:
    trace = claiming_trace(2, 3)
    assert (operation_count(trace), claim_count(trace)) == (5, 2)
    assert [type(step).__name__ for step in trace.steps] == ["ClaimStep"] * 2 + ["SendStep"] * 3
