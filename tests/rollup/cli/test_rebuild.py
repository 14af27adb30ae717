"""Slow: the operator loses its database; `rollup chain rebuild --into` rebuilds a chain directory from the
genesis root and the exported block files alone, and the chain goes on: a recipient's wallet claims a
transfer sent before the loss, the operator admits it, and the next block proves and verifies from genesis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import Captured, run_cli

from rollup.chain_dir import ChainDirectory
from rollup.state import ChainState
from verifier import light_client


def ok(capsys: Captured, *argv: str) -> str:
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    return out + err


def wallet(capsys: Captured, directory: Path, name: str) -> str:
    """A new wallet in ``directory``; the address its ``wallet new`` printed."""
    match = re.search(r"address ([0-9a-f]{64})", ok(capsys, "wallet", "new", name, "--wallet-dir", str(directory)))
    assert match is not None
    return match.group(1)


@pytest.mark.slow
def test_a_chain_rebuilt_from_block_files_continues_after_the_database_is_lost(
    capsys: Captured, tmp_path: Path
) -> None:
    chain, rebuilt, exported, files = (tmp_path / name for name in ("chain", "rebuilt", "exported", "files"))
    exported.mkdir()
    files.mkdir()
    sam, jack = tmp_path / "sam", tmp_path / "jack"
    wallet(capsys, sam, "Sam")
    jacks_address = wallet(capsys, jack, "Jack")
    genesis = light_client.digest_hex(ChainState().root)

    def prove(directory: Path, wallet_dir: Path, *session: str) -> str:
        out = files / f"{wallet_dir.name}-{len(list(files.iterdir()))}.session"
        ok(
            capsys,
            "--dir",
            str(directory),
            "wallet",
            "prove",
            "--wallet-dir",
            str(wallet_dir),
            *session,
            "--out",
            str(out),
        )
        return str(out)

    def block(directory: Path, number: int, *sessions: str) -> None:
        for session in sessions:
            ok(capsys, "--dir", str(directory), "session", "submit", session)
        ok(capsys, "--dir", str(directory), "block", "build")
        ok(capsys, "--dir", str(directory), "block", "prove", str(number), "--workers", "1")
        out = exported / f"block-{number:04d}.proof"
        ok(capsys, "--dir", str(directory), "block", "export", str(number), "--out", str(out))

    ok(capsys, "--dir", str(chain), "init")
    block(
        chain,
        1,
        prove(chain, sam, "--user-id", "1", "--register", "100"),
        prove(chain, jack, "--user-id", "2", "--register", "100"),
    )
    block(chain, 2, prove(chain, sam, "--send", f"2:30:{jacks_address}"))

    (chain / "rollup.sqlite").unlink()  # the operator loses its database
    code, _, err = run_cli(capsys, "--dir", str(chain), "balances")
    assert code == 2 and "missing" in err

    rebuild = ("chain", "rebuild", "--from", str(exported), "--genesis-root", genesis, "--vk", str(chain / "block.vk"))
    assert "2 users, 1 outbox records" in ok(capsys, *rebuild, "--into", str(rebuilt))
    code, _, err = run_cli(capsys, *rebuild, "--into", str(rebuilt))
    assert code == 2 and "not empty" in err
    with ChainDirectory.open(rebuilt, lock=False) as opened:
        assert opened.latest_block == 2 and all(row.private for row in opened.balances())

    claim = prove(rebuilt, jack, "--claim")  # Jack's wallet syncs from the rebuilt chain's blocks
    block(rebuilt, 3, claim)
    vk = str(rebuilt / "block.vk")
    assert light_client.main(["--vk", vk, "--chain", str(exported), "--genesis-root", genesis]) == 0

    balances = {}
    for name, directory in (("Sam", sam), ("Jack", jack)):
        out = ok(capsys, "--dir", str(rebuilt), "wallet", "balance", "--wallet-dir", str(directory))
        balances[name] = json.loads(out[out.index("{") : out.rindex("}") + 1])["balance"]
    assert balances == {"Sam": 70, "Jack": 130}
    code, _, err = run_cli(
        capsys,
        "--dir",
        str(rebuilt),
        "wallet",
        "prove",
        "--wallet-dir",
        str(jack),
        "--claim",
        "--out",
        str(files / "again"),
    )
    assert code == 2 and "nothing to claim" in err and not (files / "again").exists()
