"""The ``rollup`` command line: input errors, scripted runs, step-by-step chains, and (slow) proving end to end.

Fast tests never prove (``rollup run --no-prove``); the slow ones run the seed
demo and scripted chains with real proofs and check every exported block proof
with the light client (``rollup-verify``), including tampered files and wrong
previous roots.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rollup import cli
from rollup.chain_dir import PENDING_FILE, ChainDirectory
from rollup.cli import main
from rollup.scenario import (
    MAX_SESSION_OPERATIONS,
    ScenarioClaim,
    ScenarioError,
    ScenarioSend,
    SessionFullError,
    parse_scenario,
)
from verifier import light_client

Captured = pytest.CaptureFixture[str]


def run_cli(capsys: Captured, *argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``rollup ARGV``."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def send(a: str, b: str, amount: int) -> dict[str, Any]:
    return {"send": {"from": a, "to": b, "amount": amount}}


def claim(b: str) -> dict[str, Any]:
    return {"claim": {"by": b}}


# ----------------------------------------------------------------------------- usage and scenario errors


def test_usage_errors_exit_2(capsys: Captured, tmp_path: Path) -> None:
    assert run_cli(capsys, "--dir", str(tmp_path))[0] == 2  # no command
    assert run_cli(capsys, "frobnicate")[0] == 2
    assert run_cli(capsys, "block", "prove", "abc")[0] == 2
    assert run_cli(capsys, "block", "prove", "-1")[0] == 2
    assert run_cli(capsys, "demo", "--workers", "0")[0] == 2
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "demo" in out and "reexecute" in out


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"users": {"A": 1}}, "lacks 'blocks'"),
        ({"users": {}, "blocks": []}, "non-empty"),
        ({"users": {"A": 1}, "blocks": [], "extra": 1}, "unknown keys 'extra'"),
        ({"users": {"A": -3}, "blocks": []}, "users.A is negative"),
        ({"users": {"A": 1.5}, "blocks": []}, "must be an integer"),
        ({"users": {"A": 2**48}, "blocks": []}, "too large"),
        ({"users": {"A b": 1}, "blocks": []}, "without spaces"),
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


# ----------------------------------------------------------------------------- run without proving


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
    assert [b["number"] for b in document["blocks"]] == [0, 1, 2]
    assert all(b["proof"] is None for b in document["blocks"])
    for previous, current in zip(document["blocks"], document["blocks"][1:], strict=False):
        assert current["prev_root"] == previous["new_root"]
    assert "scenario block 0, op 1 (send A -> B 7): dropped: cannot send 7: the balance is only 6" in err
    assert "scenario block 0, op 3 (claim by B): nothing to claim" in err
    assert "scenario block 1, op 2 (send B -> A 1): dropped: cannot send 1: the balance is only 0" in err
    assert "scenario block 2: no valid operation" in err
    # the rest of each session went through: A's block-1 session is its sends of 4 and 6
    with ChainDirectory.open(chain) as opened:
        sessions = opened.storage.block_sessions(1)
        assert [[op.amount for op in s.operations] for s in sessions] == [[4, 6]]  # type: ignore[union-attr]
        assert opened.state.total_supply() == 15
    # a second run into the same directory is refused
    code, _, err = run_cli(capsys, "run", str(path), "--dir", str(chain), "--no-prove")
    assert code == 2 and "already holds a chain" in err


def test_session_operation_cap(tmp_path: Path) -> None:
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 1000)
        chain.add_user("B", 0)
        chain.build_block()
        for _ in range(MAX_SESSION_OPERATIONS):
            chain.send("A", "B", 1)
        with pytest.raises(SessionFullError):
            chain.send("A", "B", 1)
        assert len(chain.draft.operations(chain.id_of("A"))) == MAX_SESSION_OPERATIONS


# ----------------------------------------------------------------------------- step by step


def test_step_by_step_flow(capsys: Captured, tmp_path: Path) -> None:
    d = ["--dir", str(tmp_path / "chain")]
    code, out, _ = run_cli(capsys, "init", *d)
    assert code == 0 and "genesis root" in out
    assert run_cli(capsys, "init", *d)[0] == 0  # idempotent
    assert run_cli(capsys, "user", "add", "Sam", "--balance", "100", *d)[0] == 0
    assert run_cli(capsys, "user", "add", "Jack", "--balance", "20", *d)[0] == 0
    code, _, err = run_cli(capsys, "user", "add", "Sam", "--balance", "5", *d)
    assert code == 2 and "already exists" in err
    assert run_cli(capsys, "send", "Sam", "Jack", "30", *d)[0] == 0  # Sam registers and sends in one session
    code, out, _ = run_cli(capsys, "send", "Sam", "Jack", "20", *d)
    assert code == 0 and "3 ops in the session" in out
    code, _, err = run_cli(capsys, "send", "Sam", "Jack", "51", *d)
    assert code == 2 and "the balance is only 50" in err
    code, out, _ = run_cli(capsys, "balances", *d)
    assert code == 0 and "pending for block 0: Sam: register with 100, send 30 to Jack, send 20 to Jack" in out
    code, out, _ = run_cli(capsys, "block", "build", *d)
    assert code == 0 and "block 0: 2 sessions" in out
    code, out, _ = run_cli(capsys, "claim", "Jack", *d)
    assert code == 0 and "Jack claims 50" in out
    code, out, _ = run_cli(capsys, "claim", "Jack", *d)
    assert code == 0 and "nothing (more) to claim" in out
    assert run_cli(capsys, "send", "Jack", "Sam", "70", *d)[0] == 0  # spends the claimed 50 in the same session
    assert run_cli(capsys, "block", "build", *d)[0] == 0
    code, _, err = run_cli(capsys, "block", "build", *d)
    assert code == 2 and "no pending operations" in err
    code, out, _ = run_cli(capsys, "balances", "--json", *d)
    assert code == 0
    document = json.loads(out)
    assert document["block"] == 1 and document["balances"] == {"Sam": 50, "Jack": 0}
    code, out, _ = run_cli(capsys, "block", "show", "1", *d)
    assert code == 0
    assert "Jack (user 2): claim transfer #0 of Sam, claim transfer #1 of Sam, send 70 to Sam" in out
    assert "session/2: session of Jack" in out and "not proven yet" in out
    code, out, _ = run_cli(capsys, "reexecute", "1", *d)
    assert code == 0 and "matches the stored root" in out and document["root"] in out


def test_step_by_step_errors(capsys: Captured, tmp_path: Path) -> None:
    d = ["--dir", str(tmp_path / "chain")]
    code, _, err = run_cli(capsys, "balances", *d)
    assert code == 2 and "no chain in" in err and "rollup init" in err
    assert not (tmp_path / "chain").exists()
    run_cli(capsys, "init", *d)
    run_cli(capsys, "user", "add", "Sam", "--balance", "10", *d)
    for argv, expected in [
        (["send", "Sam", "Bob", "1"], "unknown user 'Bob'"),
        (["send", "Sam", "Sam", "-1"], "amount is negative"),
        (["send", "Sam", "Sam", "ten"], "amount must be an integer"),
        (["user", "add", "Kim", "--balance", "-5"], "balance is negative"),
        (["user", "add", "-x", "--balance", "5"], "required: name"),
        (["claim", "Nobody"], "unknown user 'Nobody'"),
        (["block", "show", "0"], "no block 0: the chain has no blocks yet"),
        (["reexecute", "3"], "no block 3"),
        (["block", "prove", "0"], "no block 0"),
    ]:
        code, _, err = run_cli(capsys, *argv, *d)
        assert code == 2, argv
        assert expected in err, (argv, err)
        assert "Traceback" not in err
    run_cli(capsys, "block", "build", *d)
    code, _, err = run_cli(capsys, "block", "export", "0", "--out", str(tmp_path / "b.proof"), *d)
    assert code == 2 and "not proven yet" in err


def test_chain_directory_is_locked(capsys: Captured, tmp_path: Path) -> None:
    d = ["--dir", str(tmp_path / "chain")]
    run_cli(capsys, "init", *d)
    with ChainDirectory.open(tmp_path / "chain"):
        code, _, err = run_cli(capsys, "user", "add", "Sam", "--balance", "1", *d)
    assert code == 2 and "another rollup command is using" in err
    assert run_cli(capsys, "user", "add", "Sam", "--balance", "1", *d)[0] == 0


def test_stale_pending_file_is_dropped_not_replayed(capsys: Captured, tmp_path: Path) -> None:
    """A crash after the block was written but before pending.json was removed must not apply it twice."""
    d = ["--dir", str(tmp_path / "chain")]
    run_cli(capsys, "init", *d)
    run_cli(capsys, "user", "add", "Sam", "--balance", "10", *d)
    pending = (tmp_path / "chain" / PENDING_FILE).read_text()
    run_cli(capsys, "block", "build", *d)
    (tmp_path / "chain" / PENDING_FILE).write_text(pending)
    code, out, err = run_cli(capsys, "balances", "--json", *d)
    assert code == 0 and "dropped pending.json" in err
    assert json.loads(out)["balances"] == {"Sam": 10}
    assert not (tmp_path / "chain" / PENDING_FILE).exists()


def test_tampered_pending_file_is_rejected(capsys: Captured, tmp_path: Path) -> None:
    d = ["--dir", str(tmp_path / "chain")]
    run_cli(capsys, "init", *d)
    run_cli(capsys, "user", "add", "Sam", "--balance", "10", *d)
    file = tmp_path / "chain" / PENDING_FILE
    document = json.loads(file.read_text())
    document["sessions"]["1"].append({"send": [1, 11]})  # an overdraft the CLI never accepted
    file.write_text(json.dumps(document))
    code, _, err = run_cli(capsys, "block", "build", *d)
    assert code == 2 and "invalid operation" in err and "balance is only 10" in err


def test_changed_verifier_key_is_kept_aside(capsys: Captured, tmp_path: Path) -> None:
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.vk_path.write_bytes(b"old key")
        cli._write_vk(chain, cli.Circuits(vk=None, vk_bytes=b"new key", seconds=0.0), cli.Ui())  # type: ignore[arg-type]
        assert chain.vk_path.read_bytes() == b"new key"
        kept = list(chain.path.glob("block-*.vk"))
        assert len(kept) == 1 and kept[0].read_bytes() == b"old key"
    assert "these circuits differ" in capsys.readouterr().err


def test_light_client_imports_only_the_verifier() -> None:
    code = (
        "import sys, verifier.light_client\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rollup', 'prover', 'circuits'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- slow: proving end to end


def verify(vk: Path, proof: Path, prev_root: str | None = None) -> int:
    argv = ["--vk", str(vk), "--proof", str(proof)]
    return light_client.main(argv + (["--prev-root", prev_root] if prev_root else []))


def check_tampering(vk: Path, proof: Path, prev_root: str, tmp_path: Path, rng: random.Random, samples: int) -> None:
    """Flipping any sampled byte of the proof file makes rollup-verify reject it (exit 1 or 2)."""
    data = proof.read_bytes()
    positions = {*range(8), *range(len(data) - 8, len(data)), *rng.sample(range(len(data)), samples)}
    bad = tmp_path / "tampered.proof"
    for position in sorted(positions):
        flipped = bytearray(data)
        flipped[position] ^= rng.randrange(1, 256)
        bad.write_bytes(bytes(flipped))
        assert verify(vk, bad, prev_root) in (1, 2), f"a flip at byte {position} of {proof.name} was accepted"


@pytest.mark.slow
def test_demo_end_to_end(capsys: Captured, tmp_path: Path) -> None:
    chain = tmp_path / "demo"
    code, out, err = run_cli(capsys, "demo", "--dir", str(chain))
    assert code == 0, err
    assert "all 3 block proofs verified" in out and "agg/" in out and "re-execute" in out
    with ChainDirectory.open(chain) as opened:
        balances = {row.name: row.balance for row in opened.balances()}
        blocks = opened.storage.blocks()
    assert balances == {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}
    vk = chain / "block.vk"
    for block in blocks:
        proof = chain / "proofs" / f"block-{block.number:04d}.proof"
        assert verify(vk, proof, light_client.digest_hex(block.prev_root)) == 0
    assert verify(vk, chain / "proofs" / "block-0002.proof", light_client.digest_hex(blocks[0].prev_root)) == 1


def random_scenario(rng: random.Random, num_users: int, num_blocks: int) -> dict[str, Any]:
    """Random sends (some overdrawing) and claims among ``num_users`` users."""
    names = [f"u{i:02d}" for i in range(num_users)]
    users = {name: rng.randrange(20, 150) for name in names}
    blocks = []
    for _ in range(num_blocks):
        ops: list[dict[str, Any]] = []
        for _ in range(rng.randrange(num_users // 2, num_users + 1)):
            a, b = rng.sample(names, 2)
            ops.append(send(a, b, rng.randrange(1, 80)))
        ops += [claim(name) for name in rng.sample(names, num_users // 2)]
        rng.shuffle(ops)
        blocks.append(ops)
    return {"users": users, "blocks": blocks}


def model_balances(scenario: dict[str, Any]) -> dict[str, int]:
    """An independent computation: a dict of balances and a list of transfers in flight.

    A send debits at once (and is dropped if it overdraws); a claim credits every
    transfer to the claimant sent in an earlier block and not claimed yet.
    """
    balance = dict(scenario["users"])
    in_flight: list[tuple[int, str, int]] = []  # (block sent, recipient, amount)
    for k, ops in enumerate(scenario["blocks"]):
        used: Counter[str] = Counter()
        for op in ops:
            if "send" in op:
                s = op["send"]
                if s["amount"] <= balance[s["from"]]:
                    assert used[s["from"]] < MAX_SESSION_OPERATIONS
                    used[s["from"]] += 1
                    balance[s["from"]] -= s["amount"]
                    in_flight.append((k, s["to"], s["amount"]))
            else:
                by = op["claim"]["by"]
                mine = [t for t in in_flight if t[1] == by and t[0] < k]
                assert used[by] + len(mine) <= MAX_SESSION_OPERATIONS
                used[by] += len(mine)
                balance[by] += sum(t[2] for t in mine)
                in_flight = [t for t in in_flight if t not in mine]
    return balance


def check_random_run(capsys: Captured, tmp_path: Path, num_users: int, num_blocks: int, seed: int) -> None:
    rng = random.Random(seed)
    scenario = random_scenario(rng, num_users, num_blocks)
    path = write_json(tmp_path / "scenario.json", scenario)
    chain = tmp_path / "chain"
    code, out, err = run_cli(capsys, "run", str(path), "--dir", str(chain), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["balances"] == model_balances(scenario)
    blocks = document["blocks"]
    assert blocks[0]["number"] == 0 and len(blocks) == num_blocks + 1  # every random block has a valid op
    vk = chain / "block.vk"
    for block in blocks:
        assert verify(vk, Path(block["proof"]), block["prev_root"]) == 0
    genesis = blocks[0]["prev_root"]
    assert light_client.main(["--vk", str(vk), "--chain", str(chain / "proofs"), "--genesis-root", genesis]) == 0
    # another block's previous root is rejected
    for block, other in zip(blocks, blocks[1:] + blocks[:1], strict=True):
        assert verify(vk, Path(block["proof"]), other["prev_root"]) == 1
    # flipped bytes are rejected: many positions in one proof, a few in every other
    check_tampering(vk, Path(blocks[-1]["proof"]), blocks[-1]["prev_root"], tmp_path, rng, samples=48)
    for block in blocks[:-1]:
        check_tampering(vk, Path(block["proof"]), block["prev_root"], tmp_path, rng, samples=4)


@pytest.mark.slow
def test_run_random_scenario_small(capsys: Captured, tmp_path: Path) -> None:
    check_random_run(capsys, tmp_path, num_users=6, num_blocks=2, seed=7)
    # a damaged stored proof is detected and proven again on resumption; the rest is reused
    chain = tmp_path / "chain"
    with ChainDirectory.open(chain) as opened:
        stored = opened.storage.block_proofs(1)
        node = sorted(k for k in stored if k.startswith("session/"))[0]
        opened.storage.write_proof(1, node, b"garbage")
    code, out, err = run_cli(capsys, "block", "prove", "1", "--dir", str(chain))
    assert code == 0, err
    assert f"the stored proof {node} does not verify" in err
    assert "block 1: 1 proof in" in out  # only the damaged one is proven again
    with ChainDirectory.open(chain) as opened:
        assert opened.storage.block_proofs(1)[node] != b"garbage"
        prev = light_client.digest_hex(opened.storage.block(1).prev_root)
    assert verify(chain / "block.vk", chain / "proofs" / "block-0001.proof", prev) == 0


@pytest.mark.slow
def test_run_random_scenario_acceptance_20_users_4_blocks(capsys: Captured, tmp_path: Path) -> None:
    """The acceptance test of the CLI issue: 20 users, 4 blocks of random transfers (about 15 minutes on 2 cores)."""
    check_random_run(capsys, tmp_path, num_users=20, num_blocks=4, seed=2024)
