"""The node proving for real (slow): the seed scenario by wallets, followed by a light client; faults.

* The seed scenario run by four wallet processes per phase against a proving
  node, each proving its own session after verifying the node's chain proof;
  ``rollup-verify --follow`` verifies the node's chain proofs from genesis and
  ends on the node's root.
* kill -9 the node while block 1 is being proven, restart it, kill -9 one of
  the restarted prover's workers mid-job: the block is still proven (the job is
  retried, finished proofs are not redone), the restarted node proves the chain
  to it, and that chain proof verifies from genesis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from node_support import NodeProcess, register, run_seed_with_wallets, wait_until

from rollup.node.client import NodeClient
from rollup.seed import SEED_USERS

PROVING_TIMEOUT_SECONDS = 1800.0
"""Proving a block takes about a minute on an idle 2-core machine, several when it is shared."""


def _follow(url: str, chain_key: Path, genesis: str, state: Path, until: int) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("rollup-verify")), "--vk", str(chain_key), "--follow", url]
    options = ["--genesis-root", genesis, "--state", str(state), "--until-block", str(until), "--poll", "1"]
    return subprocess.run([*command, *options], capture_output=True, text=True, timeout=PROVING_TIMEOUT_SECONDS)


def _chain_key(client: NodeClient, directory: Path, into: Path) -> Path:
    """The chain key, once the node's prover has written it (a real light client gets it from a source it
    trusts; the test takes the node's copy)."""
    wait_until(lambda: (directory / "chain.key").exists(), PROVING_TIMEOUT_SECONDS, "the chain key")
    into.write_bytes(client.get_bytes("/keys/chain"))
    return into


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
def test_seed_by_wallets_on_a_proving_node_followed_by_a_light_client(tmp_path: Path) -> None:
    directory = tmp_path / "chain"
    options = ("--block-time", "3600", "--block-sessions", "4", "--workers", "2")  # one block per phase
    with NodeProcess(directory, *options) as node, NodeClient(node.url) as client:
        genesis = client.head()["root"]
        chain_key = _chain_key(client, directory, tmp_path / "chain.key")
        balances = run_seed_with_wallets(node.url, genesis, chain_key)  # each wallet returns once its block is proven
        wait_until(lambda: client.head()["chain_proven"] == 3, PROVING_TIMEOUT_SECONDS, "the chain proven to 3")
        head = client.head()
        assert (head["finalized"], head["proven"]) == (3, 3)
        assert balances == {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}  # the wallets' own states
        assert all(client.account(u)["balance"] is None for u in SEED_USERS.values())  # the node never knew
        for number in (1, 2, 3):
            assert {e["proven_by"] for e in client.get(f"/blocks/{number}")["public_data"]} == {"its user"}
        state = tmp_path / "light-client.json"
        result = _follow(node.url, chain_key, genesis, state, head["finalized"])
        assert result.returncode == 0, result.stderr
        trusted = json.loads(state.read_text())
        assert (trusted["block"], trusted["root"]) == (head["finalized"], head["root"])
        # the explorer checks every block proof as the light client does, and shows the chain-proven height
        explorer = httpx.get(f"{node.url}/explorer", timeout=300).text
        assert explorer.count(">verified<") == head["finalized"]
        assert "through block <b>3</b>" in explorer.split("chain proof", 1)[1]


@pytest.mark.slow
def test_kill_node_while_proving_and_a_worker_mid_job(tmp_path: Path) -> None:
    directory = tmp_path / "chain"
    options = ("--block-time", "3600", "--block-sessions", "4", "--workers", "2")
    node = NodeProcess(directory, *options).start()
    with NodeClient(node.url) as client:
        genesis = client.head()["root"]
        users = [(1, "Sam"), (2, "Jack"), (3, "Kate"), (4, "Kim")]
        threads = [
            threading.Thread(target=client.submit_delegated, args=(register(u, n, genesis),), kwargs={"verify": False})
            for u, n in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_until(lambda: client.get("/blocks/1")["proof_sizes"], PROVING_TIMEOUT_SECONDS, "a first proof")
        before = client.get("/blocks/1")
    assert not before["proven"]
    node.kill()

    with NodeProcess(directory, *options) as restarted, NodeClient(restarted.url) as client:
        assert restarted.process is not None
        (prover,) = _children(restarted.process.pid)
        wait_until(lambda: len(_children(prover)) == 2, PROVING_TIMEOUT_SECONDS, "the prover's workers")
        os.kill(_children(prover)[0], signal.SIGKILL)
        wait_until(lambda: client.head()["proven"] == 1, PROVING_TIMEOUT_SECONDS, "block 1 proven")
        after = client.get("/blocks/1")
        assert set(before["proof_sizes"]) <= set(after["proof_sizes"])
        assert len(after["proof_sizes"]) == 2  # one batch of the 4 delegated sessions (users 1-4), the block
        wait_until(lambda: client.head()["chain_proven"] == 1, PROVING_TIMEOUT_SECONDS, "the chain proven to 1")
        chain_key = _chain_key(client, directory, tmp_path / "chain.key")
        state = tmp_path / "lc.json"
        result = _follow(restarted.url, chain_key, genesis, state, 1)
        assert result.returncode == 0, result.stderr
        assert json.loads(state.read_text())["root"] == client.get("/blocks/1")["new_root"]
