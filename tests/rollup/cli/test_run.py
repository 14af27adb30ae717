"""``rollup run`` without proving: scenario errors name the problem, invalid operations are dropped and reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import Captured, claim, run_cli, send, write_json

from rollup.chain_dir import ChainDirectory
from rollup.scenario import ScenarioClaim, ScenarioError, ScenarioSend, parse_scenario


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"users": {"A": 1}}, "lacks 'blocks'"),
        ({"users": {}, "blocks": []}, "non-empty"),
        ({"users": {"A": 1}, "blocks": [], "extra": 1}, "unknown keys 'extra'"),
        ({"users": {"A": -3}, "blocks": []}, "users.A is negative"),
        ({"users": {"A": 1.5}, "blocks": []}, "must be an integer"),
        ({"users": {"A": 2**48}, "blocks": []}, "too large"),
        ({"users": {"A b": 1}, "blocks": []}, "may hold only ASCII letters"),
        ({"users": {"A": 1}, "blocks": [{"send": {}}]}, "blocks[0] must be a list"),
        ({"users": {"A": 1}, "blocks": [[{"mint": {"to": "A"}}]]}, "blocks[0][0] must be"),
        ({"users": {"A": 1}, "blocks": [[{"send": {"from": "A", "to": "A"}}]]}, "lacks 'amount'"),
        ({"users": {"A": 1}, "blocks": [[send("A", "A", True)]]}, "amount must be an integer"),
        ({"users": {"A": 1}, "blocks": [[claim("Zed")]]}, "blocks[0][0].claim.by: unknown user 'Zed'"),
    ],
)
def test_bad_scenarios_name_the_problem(capsys: Captured, tmp_path: Path, document: Any, expected: str) -> None:
    path = write_json(tmp_path / "s.json", document)
    code, _, err = run_cli(capsys, "run", str(path), "--dir", str(tmp_path / "chain"))
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "chain").exists()  # nothing is created for a bad scenario


def test_missing_scenario_file(capsys: Captured, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "run", str(tmp_path / "nope.json"), "--dir", str(tmp_path / "c"))
    assert code == 2 and "nope.json does not exist" in err


def test_malformed_json(capsys: Captured, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"users": {"A": 1}, "blocks": [[}')
    code, _, err = run_cli(capsys, "run", str(path), "--dir", str(tmp_path / "c"))
    assert code == 2 and "is not valid JSON" in err and "line 1" in err


def test_unknown_user_in_op(capsys: Captured, tmp_path: Path) -> None:
    path = write_json(tmp_path / "s.json", {"users": {"Sam": 10}, "blocks": [[send("Sam", "Bob", 1)]]})
    code, _, err = run_cli(capsys, "run", str(path), "--dir", str(tmp_path / "c"))
    assert code == 2 and "blocks[0][0].send.to: unknown user 'Bob'" in err


def test_negative_amount(capsys: Captured, tmp_path: Path) -> None:
    path = write_json(tmp_path / "s.json", {"users": {"Sam": 10, "Kim": 0}, "blocks": [[send("Sam", "Kim", -4)]]})
    code, _, err = run_cli(capsys, "run", str(path), "--dir", str(tmp_path / "c"))
    assert code == 2 and "blocks[0][0].send.amount is negative (-4)" in err


def test_parse_scenario() -> None:
    scenario = parse_scenario({"users": {"A": 5, "B": 0}, "blocks": [[send("A", "B", 2), claim("B")], []]})
    assert scenario.users == {"A": 5, "B": 0}
    assert scenario.blocks == [[ScenarioSend("A", "B", 2), ScenarioClaim("B")], []]
    with pytest.raises(ScenarioError):
        parse_scenario([1, 2])


def test_run_drops_invalid_ops_and_reports_them(capsys: Captured, tmp_path: Path) -> None:
    blocks = [
        [send("A", "B", 4), send("A", "B", 7), send("A", "B", 6), claim("B")],  # 7 overdraws (10 - 4 = 6 left)
        [claim("B"), send("B", "A", 15), send("B", "A", 1)],  # B has 5 + 10 = 15: the second send overdraws
        [send("A", "B", 1)],  # A has 0: nothing valid, no block
    ]
    path = write_json(tmp_path / "s.json", {"users": {"A": 10, "B": 5}, "blocks": blocks})
    chain = tmp_path / "chain"
    code, out, err = run_cli(capsys, "run", str(path), "--dir", str(chain), "--no-prove", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["balances"] == {"A": 0, "B": 0}
    assert [b["number"] for b in document["blocks"]] == [1, 2, 3]
    assert all(b["proof"] is None for b in document["blocks"])
    for previous, current in zip(document["blocks"], document["blocks"][1:], strict=False):
        assert current["prev_root"] == previous["new_root"]
    assert "scenario block 0, op 1 (send A -> B 7): dropped: cannot send 7: the balance is only 6" in err
    assert "scenario block 0, op 3 (claim by B): nothing to claim" in err
    assert "scenario block 1, op 2 (send B -> A 1): dropped: cannot send 1: the balance is only 0" in err
    assert "scenario block 2: no valid operation" in err
    # the rest of each session went through: A's block-2 session is its sends of 4 and 6
    with ChainDirectory.open(chain) as opened:
        sessions = opened.storage.block_sessions(2)
        assert [[op.amount for op in s.operations] for s in sessions] == [[4, 6]]  # type: ignore[union-attr]
        assert opened.state.known_supply() == 15
    # a second run into the same directory is refused
    code, _, err = run_cli(capsys, "run", str(path), "--dir", str(chain), "--no-prove")
    assert code == 2 and "already holds a chain" in err
