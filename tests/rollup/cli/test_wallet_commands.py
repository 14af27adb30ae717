"""The wallet and session commands' error paths: one clear error, exit 2, nothing changed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cli_support import Captured, run_cli


def test_wallet_new_writes_an_owner_only_key_and_prints_no_secret(capsys: Captured, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "wallet", "new", "Sam", "--wallet-dir", str(tmp_path / "sam"))
    assert code == 0 and "address" in out + err
    key_file = tmp_path / "sam" / "key.json"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    for word in key_file.read_text().split('"'):
        if len(word) == 16 and all(c in "0123456789abcdef" for c in word):
            assert word not in out + err
    code, _, err = run_cli(capsys, "wallet", "new", "Sam", "--wallet-dir", str(tmp_path / "sam"))
    assert code == 2 and "never overwrites" in err


def test_wallet_prove_refuses_a_key_file_readable_by_others(capsys: Captured, tmp_path: Path) -> None:
    chain, wallet = tmp_path / "chain", tmp_path / "sam"
    assert run_cli(capsys, "--dir", str(chain), "init")[0] == 0
    assert run_cli(capsys, "wallet", "new", "Sam", "--wallet-dir", str(wallet))[0] == 0
    os.chmod(wallet / "key.json", 0o644)
    argv = ["--dir", str(chain), "wallet", "prove", "--wallet-dir", str(wallet), "--user-id", "1"]
    code, _, err = run_cli(capsys, *argv, "--register", "5", "--out", str(tmp_path / "s"))
    assert code == 2 and "permissions 0644" in err and not (tmp_path / "s").exists()


def test_session_submit_refuses_garbage_with_its_reason(capsys: Captured, tmp_path: Path) -> None:
    chain = tmp_path / "chain"
    assert run_cli(capsys, "--dir", str(chain), "init")[0] == 0
    before = (chain / "rollup.sqlite").read_bytes()
    garbage = tmp_path / "garbage.session"
    garbage.write_bytes(b"\x00garbage")
    code, _, err = run_cli(capsys, "--dir", str(chain), "session", "submit", str(garbage))
    assert code == 2 and "session proof refused (malformed)" in err and "Traceback" not in err
    assert (chain / "rollup.sqlite").read_bytes() == before
    code, _, err = run_cli(capsys, "--dir", str(chain), "session", "submit", str(tmp_path / "missing"))
    assert code == 2 and "cannot read" in err


def test_chain_rebuild_refuses_a_directory_without_a_key(capsys: Captured, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "chain", "rebuild", "--from", str(tmp_path), "--genesis-root", "00" * 32)
    assert code == 2 and "cannot rebuild" in err
