"""The seed scenario run by wallet processes against a real node: balances as in the seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from node_support import NodeProcess, run_seed_with_wallets

from rollup.node.client import NodeClient
from rollup.seed import SEED_USERS

SEED_FINAL_BALANCES = {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}


@pytest.mark.slow  # twelve wallet processes, each a few seconds of start-up on a loaded machine
def test_seed_scenario_by_four_wallet_processes(tmp_path: Path) -> None:
    with NodeProcess(tmp_path / "chain", "--no-prove", "--block-time", "0.5") as node, NodeClient(node.url) as client:
        run_seed_with_wallets(node.url)
        balances = {name: client.account(user)["balance"] for name, user in SEED_USERS.items()}
        assert balances == SEED_FINAL_BALANCES
        assert all(not client.account(user)["incoming"] for user in SEED_USERS.values())
