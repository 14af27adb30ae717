"""``rollup node`` and ``rollup wallet ... --node`` usage: bad options exit 2 with a message, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollup.cli import main

WALLET_PROVE = ["wallet", "prove", "--node", "http://127.0.0.1:1", "--wallet-dir", "sam-wallet", "--user-id", "1"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["node"], "--dir"),
        (["node", "--dir", "x", "--listen", "nowhere"], "HOST:PORT"),
        (["node", "--dir", "x", "--block-time", "0"], "positive number of seconds"),
        (["node", "--dir", "x", "--block-sessions", "-3"], "positive integer"),
        (
            [*WALLET_PROVE, "--genesis-root", "00" * 32, "--chain-key", "chain.key", "--send", "2-5"],
            "USER_ID:AMOUNT",
        ),
        ([*WALLET_PROVE, "--register", "5"], "needs --genesis-root and --chain-key"),
        (["wallet", "prove", "--wallet-dir", "sam-wallet", "--user-id", "1", "--register", "5"], "--out FILE"),
    ],
)
def test_usage_errors_exit_2(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_node_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["wallet", "balance", "--node", "http://127.0.0.1:9", "--user-id", "1"]
    assert main(arguments) == 2
    assert "error:" in capsys.readouterr().err


def test_node_refuses_a_key_file_others_can_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sequencer.key").write_text('{"version": 1, "secret_key": "01"}')
    (tmp_path / "sequencer.key").chmod(0o644)
    assert main(["node", "--dir", str(tmp_path), "--no-prove"]) == 2
    assert "0600" in capsys.readouterr().err
