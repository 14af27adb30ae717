"""kill -9 the node while submissions arrive, restart it: every receipt is honoured exactly once.

Four client threads register users as fast as the node accepts them; the node
is killed outright in the middle, restarted on the same directory, and the
clients' receipts are checked against the chain the restarted node serves.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from node_support import NodeProcess, register, rollup_command, wait_until

from rollup.node.client import NodeClient, NodeRefusedError
from rollup.node.store import NODE_DATABASE
from verifier.sequencer_signatures import GENESIS_CHAIN_DIGEST, BlockHeader, next_chain_digest, verify_header

CLIENTS = 4
USERS_PER_CLIENT = 40


def _submit_until_dead(url: str, first_user: int, receipts: list[dict[str, Any]], stop: threading.Event) -> None:
    with NodeClient(url) as client:
        for user_id in range(first_user, first_user + USERS_PER_CLIENT):
            if stop.is_set():
                return
            try:
                root = client.head()["root"]
                receipts.append(client.submit_delegated(register(user_id, f"user{user_id}", root), verify=False))
            except NodeRefusedError as exc:
                assert exc.kind == "stale_root", exc  # a block was sealed between head and submit: retry later
            except Exception:  # the node died: this submission has no receipt, so no promise
                return


def _included_users(client: NodeClient) -> Counter[int]:
    users: Counter[int] = Counter()
    for number in range(1, client.head()["finalized"] + 1):
        users.update(entry["user_id"] for entry in client.get(f"/blocks/{number}")["public_data"])
    return users


def test_kill_while_submissions_arrive_then_restart(tmp_path: Path) -> None:
    directory = tmp_path / "chain"
    options = ("--no-prove", "--block-time", "0.3")
    node = NodeProcess(directory, *options).start()
    receipts: list[dict[str, Any]] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=_submit_until_dead, args=(node.url, 1 + i * USERS_PER_CLIENT, receipts, stop))
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(receipts) >= 8, what="the first receipts")
    node.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    promised = {r["receipt"]["submission"]: r["receipt"] for r in receipts}
    assert promised

    with NodeProcess(directory, *options) as restarted, NodeClient(restarted.url) as client:
        last_promised = max(r["block"] for r in promised.values())

        # every promised block, and the sessions stored before the kill whose submitters never got a receipt;
        # the block sealing the latter is signed just after it is finalized
        def settled() -> bool:
            head = client.head()
            latest = client.get(f"/blocks/{head['finalized']}") if head["finalized"] else {"header": None}
            return head["finalized"] >= last_promised and head["pending_sessions"] == 0 and latest["header"] is not None

        wait_until(settled, what="the promised blocks, signed")
        included = _included_users(client)
        for submission, receipt in promised.items():
            status = client.get(f"/sessions/{submission}")
            assert status["status"] == "included" and status["block"] == receipt["block"]
            assert included[receipt["user_id"]] == 1
        assert all(count == 1 for count in included.values())
        # every block kept its place in the signed chain of headers
        chain = GENESIS_CHAIN_DIGEST
        for number in range(1, client.head()["finalized"] + 1):
            block = client.get(f"/blocks/{number}")
            header = BlockHeader.from_json(block["header"])
            chain = next_chain_digest(chain, number, header.prev_root, header.new_root, header.data_root)
            assert header.chain_digest == chain
        assert client.head()["pending_sessions"] == 0
    # the stopped node's directory is an ordinary chain directory: every registered user has a name
    listed = subprocess.run(
        [*rollup_command(), "balances", "--dir", str(directory), "--json"], capture_output=True, text=True, timeout=300
    )
    assert listed.returncode == 0, listed.stderr
    balances = json.loads(listed.stdout)["balances"]
    assert sorted(balances) == sorted(f"user-{user_id}" for user_id in included)


def test_a_header_left_unsigned_by_a_stop_is_signed_before_the_first_request(tmp_path: Path) -> None:
    directory = tmp_path / "chain"
    options = ("--no-prove", "--block-time", "0.3")
    with NodeProcess(directory, *options) as node, NodeClient(node.url) as client:
        client.submit_delegated(register(1, "user1", client.head()["root"]), verify=False)
        wait_until(lambda: client.get("/blocks/1")["header"] if client.head()["finalized"] else None, what="block 1")
        signed = client.get("/blocks/1")
        sequencer_key = bytes.fromhex(client.head()["sequencer_public_key"])
    # a stop between sealing block 1 and signing its header: the block is in the chain, its header is not
    with sqlite3.connect(directory / NODE_DATABASE) as database:
        assert database.execute("DELETE FROM headers").rowcount == 1

    with NodeProcess(directory, *options) as restarted, NodeClient(restarted.url) as client:
        first = client.get("/blocks/1")  # the restarted node's first request
        header = BlockHeader.from_json(first["header"])
        verify_header(sequencer_key, header, bytes.fromhex(first["header_signature"]))
        assert first["header"] == signed["header"]  # the same header: the chain digest of block 1 is determined
