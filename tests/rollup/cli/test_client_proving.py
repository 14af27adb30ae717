"""Slow: the seed scenario with every user proving its own session, from its own wallet directory, in its
own process; the operator only verifies, aggregates and exports. No byte of any key file, and no balance
of any of these users, reaches the operator's chain directory, database, output or exported block files:
the final balances are the wallets' own."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from cli_support import Captured, run_cli

from rollup.chain_dir import ChainDirectory
from rollup.errors import PrivateStateError
from rollup.own_proving import prove_in_processes, seed_blocks, wallet_balances
from rollup.seed import SEED_TRANSFERS, SEED_USERS
from rollup.state import ChainState
from verifier import light_client
from verifier.hashing import Digest

FINAL = {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}


def wallet(capsys: Captured, root: Path, name: str) -> tuple[Path, Digest]:
    """A new wallet and the address its ``wallet new`` printed (what its user gives to senders)."""
    directory = root / name
    code, out, err = run_cli(capsys, "wallet", "new", name, "--wallet-dir", str(directory))
    assert code == 0, err
    match = re.search(r"address ([0-9a-f]{64})", out + err)
    assert match is not None, err
    return directory, light_client.parse_digest_hex(match.group(1))


def secret_fragments(key_file: Path) -> list[bytes]:
    """What a leaked key would look like: the file itself, each element in hex, decimal and raw bytes."""
    elements = [int(word, 16) for word in json.loads(key_file.read_text())["secret"]]
    fragments = [key_file.read_bytes()]
    for x in elements:
        fragments += [f"{x:016x}".encode(), str(x).encode(), x.to_bytes(8, "little"), x.to_bytes(8, "big")]
    return fragments


@pytest.mark.slow
def test_users_prove_their_own_sessions_and_the_operator_only_aggregates(capsys: Captured, tmp_path: Path) -> None:
    chain, files, exported = tmp_path / "operator" / "chain", tmp_path / "sessions", tmp_path / "exported"
    files.mkdir()
    exported.mkdir()
    made = {name: wallet(capsys, tmp_path / "users", name) for name in SEED_USERS}
    wallets = {name: directory for name, (directory, _) in made.items()}
    addresses = {name: address for name, (_, address) in made.items()}
    operator_output: list[str] = []

    def operator(*argv: str) -> None:
        code, out, err = run_cli(capsys, "--dir", str(chain), *argv)
        operator_output.append(out + err)
        assert code == 0, err

    operator("init")
    verified = ("--genesis-root", light_client.digest_hex(ChainState().root), "--blocks", str(exported))
    for number, jobs in enumerate(seed_blocks(wallets, addresses, verified), start=1):
        for file in prove_in_processes(chain, jobs, files).values():
            operator("session", "submit", str(file))
        operator("block", "build")
        operator("block", "prove", str(number), "--workers", "1")
        operator("block", "export", str(number), "--out", str(exported / f"block-{number:04d}.proof"))

    with ChainDirectory.open(chain, lock=False) as opened:
        for user in SEED_USERS.values():
            with pytest.raises(PrivateStateError):  # the operator cannot answer a balance query
                opened.state.tree(user)
        assert all(row.balance is None for row in opened.balances())
        genesis = light_client.digest_hex(opened.storage.block(1).prev_root)
        final_root = opened.state.root
    assert wallet_balances(chain, wallets) == FINAL
    code, out, err = run_cli(capsys, "--dir", str(chain), "balances", "--json")
    operator_output.append(out + err)
    assert code == 0 and list(json.loads(out)["balances"].values()) == [None] * len(SEED_USERS)
    database = sqlite3.connect(chain / "rollup.sqlite")
    assert database.execute("SELECT COUNT(*) FROM accounts").fetchone() == (0,)
    database.close()
    assert (
        light_client.main(["--vk", str(chain / "block.vk"), "--chain", str(exported), "--genesis-root", genesis]) == 0
    )

    def rebuild(directory: Path, root: str = genesis) -> tuple[int, str, str]:
        return run_cli(
            capsys,
            "chain",
            "rebuild",
            "--from",
            str(directory),
            "--genesis-root",
            root,
            "--vk",
            str(chain / "block.vk"),
        )

    code, out, err = rebuild(exported)
    assert code == 0 and light_client.digest_hex(final_root) in out, err
    assert f"{len(SEED_USERS)} users, {len(SEED_TRANSFERS)} outbox records" in out
    code, _, err = rebuild(exported, light_client.digest_hex((1, 2, 3, 4)))
    assert code == 2 and "genesis root" in err
    gap = tmp_path / "gap"
    gap.mkdir()
    for number in (1, 3):
        for suffix in (".proof", ".data"):
            name = f"block-{number:04d}{suffix}"
            (gap / name).write_bytes((exported / name).read_bytes())
    code, _, err = rebuild(gap)
    assert code == 2 and "cannot rebuild" in err
    data_file = exported / "block-0002.data"
    honest = data_file.read_bytes()
    for old, new in ((b'"deposit":0', b'"deposit":1'), (b'"amount":50', b'"amount":51')):
        assert old in honest
        data_file.write_bytes(honest.replace(old, new, 1))
        code, _, err = rebuild(exported)
        assert code == 2 and "do not hash to the proven data root" in err
    data_file.write_bytes(honest)

    operator_files = [p for p in [*chain.rglob("*"), *exported.rglob("*")] if p.is_file()]
    haystacks = [p.read_bytes() for p in operator_files] + [text.encode() for text in operator_output]
    assert any(p.name == "rollup.sqlite" for p in operator_files)
    for name, directory in wallets.items():
        for fragment in secret_fragments(directory / "key.json"):
            assert not any(fragment in haystack for haystack in haystacks), f"a piece of {name}'s key leaked"
    for name, fragment_list in balance_fragments(wallets).items():
        for fragment in fragment_list:
            assert not any(fragment in haystack for haystack in haystacks), f"{name}'s balance leaked"


def balance_fragments(wallets: dict[str, Path]) -> dict[str, list[bytes]]:
    """What a leaked balance would look like: a stored account's balance and nonce as field elements (as a
    database row or the opaque digest's preimage holds them), or as JSON."""
    fragments: dict[str, list[bytes]] = {}
    for name, directory in wallets.items():
        account = json.loads((directory / "state.json").read_text())["account"]
        balance, nonce = account["balance"], account["nonce"]
        pair = [balance.to_bytes(8, "little") + nonce.to_bytes(8, "little"), f'"balance": {balance}'.encode()]
        fragments[name] = [*pair, f'"balance":{balance}'.encode(), f"[{balance}, {nonce}".encode()]
    return fragments
