"""The node benchmark's arithmetic: proving cost per session and the projection (no node is started)."""

from __future__ import annotations

from typing import Any

from bench.node_throughput import proving_cost_per_session, summary


def _run(k: int, proving: list[float | None]) -> dict[str, Any]:
    return {
        "k": k,
        "ops_per_session": 32,
        "accepted_tps": 6.4 * k,
        "waiting_included": [5.0, 6.0, 7.0],
        "waiting_proven": [30.0, 40.0, 50.0],
        "blocks": {str(n): {"sessions": k, "proving_seconds": p} for n, p in enumerate(proving)},
    }


def test_cost_counts_worker_seconds_per_session_of_proven_blocks_only() -> None:
    runs = [_run(1, [10.0, None]), _run(4, [30.0])]
    # (10 + 30) s on 2 workers over 1 + 4 sessions; the unproven block is left out
    assert proving_cost_per_session(runs, workers=2) == 80.0 / 5


def test_summary_projects_machines_for_the_papers_rate() -> None:
    text = summary([_run(2, [8.0, 8.0])], workers=2)
    # 8 worker-seconds per session of 32 sends: a 2-core machine proves 8 tps; 1,158 tps need 145 machines
    assert "8.0 worker-seconds per session" in text and "proves 8.0 tps" in text
    assert "| 2 | 12.8 | 2 | 2.0 | 6.0 s (7.0 s) | 40.0 s (50.0 s) |" in text
    assert "about 145 such machines" in text
