"""``python -m bench.latency_compare``: its checks on the workers, its printed result, a tiny block (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import latency_compare
from bench.latency_compare import LatencyComparison, Round, check_ready, report

HERE = Path(latency_compare.__file__).resolve().parent.parent


def ready_messages() -> tuple[dict[str, dict[str, object]], dict[str, Path]]:
    """What two honest workers of ``/old`` and this tree report: the same one-session block."""
    workload = [[5, [[9, 1, 0], [9, 2, 1]]]]
    trees = {"before": Path("/old"), "after": HERE}
    ready = {side: {"tree": str(tree), "workers": 2, "workload": workload} for side, tree in trees.items()}
    return ready, trees


def test_workers_of_the_named_trees_with_the_same_block_pass() -> None:
    check_ready(*ready_messages())


def test_a_worker_importing_another_tree_is_refused() -> None:
    ready, trees = ready_messages()
    ready["before"]["tree"] = str(HERE)
    with pytest.raises(RuntimeError, match="imported rollup from"):
        check_ready(ready, trees)


@pytest.mark.parametrize("field", ["user", "recipient", "amount", "nonce", "sends"])
def test_two_blocks_differing_in_one_send_are_refused(field: str) -> None:
    ready, trees = ready_messages()
    user, sends = 5, [[9, 1, 0], [9, 2, 1]]
    if field == "user":
        user = 6
    elif field == "sends":
        sends = sends[:1]
    else:
        sends[1][["recipient", "amount", "nonce"].index(field)] += 1
    ready["after"]["workload"] = [[user, sends]]
    with pytest.raises(RuntimeError, match="different blocks"):
        check_ready(ready, trees)


def test_the_report_states_every_round_the_best_and_the_ratio_and_its_json_line_parses() -> None:
    result = LatencyComparison(
        sessions=2,
        sends=1,
        trees={"before": "/old", "after": str(HERE)},
        commits={"before": "a798636", "after": "9dcca84"},
        workers={"before": 2, "after": 2},
        rounds={
            "before": [Round(100.0, 90.0, 180.0, True), Round(80.0, 70.0, 150.0, True)],
            "after": [Round(40.0, 35.0, 70.0, True), Round(60.0, 55.0, 90.0, True)],
        },
        load_before=(2.0, 1.5, 1.0),
        load_after=(3.0, 2.5, 2.0),
    )
    lines = report(result)
    assert lines[0].startswith("2-session block (2 sends), 2 alternating rounds")
    assert "2.00 1.50 1.00 -> 3.00 2.50 2.00" in lines[0]
    assert sum("round" in line and "True" in line for line in lines[2:]) == 4
    assert "latency after / before: 0.50x (prove_block), 0.50x (executor's run)" in lines
    summary = json.loads(lines[-1].removeprefix("json: "))
    assert summary["ratio"] == pytest.approx(0.5) and summary["run_ratio"] == pytest.approx(0.5)
    assert summary["rounds"]["before"][1] == {"wall": 80.0, "run_wall": 70.0, "cpu": 150.0, "verified": True}


@pytest.mark.slow
def test_this_tree_against_itself_on_a_tiny_block(capsys: pytest.CaptureFixture[str]) -> None:
    """Both workers warm up, build the same 2 x 1-send block, prove it on two local workers and verify it.

    Slow: each worker builds every circuit of the block tree and proves the block twice (warm-up and
    round), minutes on a shared machine and more on a cold kernel cache.
    """
    latency_compare.main([str(HERE), "--sessions", "2", "--sends", "1", "--rounds", "1"])
    lines = capsys.readouterr().out.splitlines()
    summary = json.loads(lines[-1].removeprefix("json: "))
    assert summary["sessions"] == 2 and summary["sends"] == 1
    assert summary["trees"] == {"before": str(HERE), "after": str(HERE)}
    for side in ("before", "after"):
        (only,) = summary["rounds"][side]
        assert only["verified"] is True
        assert only["cpu"] > 0 and only["wall"] >= only["run_wall"] > 0
    assert summary["ratio"] > 0
