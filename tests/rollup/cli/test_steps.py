"""A chain built one command at a time: init, user add, send, claim, block build/show, balances, reexecute."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import Captured, run_cli

from rollup.chain_dir import ChainDirectory
from rollup.chain_integrity import PENDING_FILE


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
    assert code == 0 and "pending for block 1: Sam: register with 100, send 30 to Jack, send 20 to Jack" in out
    code, out, _ = run_cli(capsys, "block", "build", *d)
    assert code == 0 and "block 1: 2 sessions" in out
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
    assert document["block"] == 2 and document["balances"] == {"Sam": 50, "Jack": 0}
    code, out, _ = run_cli(capsys, "block", "show", "2", *d)
    assert code == 0
    assert "Jack (user 2): claim transfer #0 of Sam, claim transfer #1 of Sam, send 70 to Sam" in out
    assert "session/2: session of Jack" in out and "not proven yet" in out
    code, out, _ = run_cli(capsys, "reexecute", "2", *d)
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
        (["send", "Sam", "Sam", "-1"], "amount must be a whole number written with the digits 0-9 only"),
        (["send", "Sam", "Sam", "ten"], "amount must be a whole number"),
        (["user", "add", "Kim", "--balance", "-5"], "balance must be a whole number"),
        (["user", "add", "-x", "--balance", "5"], "required: name"),
        (["claim", "Nobody"], "unknown user 'Nobody'"),
        (["block", "show", "1"], "no block 1: the chain has no blocks yet"),
        (["chain", "prove"], "no block is proven yet"),
        (["chain", "export", "--out", "x.proof"], "no chain proof of height 0"),
        (["reexecute", "3"], "no block 3"),
        (["block", "prove", "0"], "no block 0"),
    ]:
        code, _, err = run_cli(capsys, *argv, *d)
        assert code == 2, argv
        assert expected in err, (argv, err)
        assert "Traceback" not in err
    run_cli(capsys, "block", "build", *d)
    code, _, err = run_cli(capsys, "block", "export", "1", "--out", str(tmp_path / "b.proof"), *d)
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
    overdraft = {
        "op": "send",
        "recipient": 1,
        "address": [1, 2, 3, 4],
        "amount": 11,
        "nonce": 1,
    }  # an overdraft the CLI never accepted
    document["sessions"]["1"].append(overdraft)
    file.write_text(json.dumps(document))
    code, _, err = run_cli(capsys, "block", "build", *d)
    assert code == 2 and "invalid operation" in err and "balance is only 10" in err
