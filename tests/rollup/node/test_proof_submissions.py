"""Session-proof files submitted to a real node on loopback: admitted with signed receipts, or refused with a 4xx
and the typed reason, and nothing stored.

The files are proven in the test process the way a wallet proves them
(``rollup.node.wallet_command.prove_for_node``: accounts fetched from the
node and checked against its root). The node (``--no-prove``) seals a block
as soon as two sessions wait.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from keys_support import NAMED_KEYS
from node_support import NodeProcess, Wallets, count_rows, wait_until
from tests_support import session_circuit_of

from rollup.execution import execute_session
from rollup.node.client import NodeClient
from rollup.node.store import NODE_DATABASE
from rollup.node.wallet_command import build_session
from rollup.params import DATABASE_FILENAME
from rollup.session_proof_file import SessionProofFile
from rollup.session_proving import prove_session
from rollup.slot_layout import SlotLayout
from rollup.wallet import KeyFile
from rollup.wallet_proving import SessionRequest
from verifier.light_client import parse_digest_hex
from verifier.serialization import proof_to_bytes

SAM, JACK, KATE = 1, 2, 3
REGISTER = SessionRequest(deposit=100)
JACKS_ADDRESS = KeyFile("Jack", NAMED_KEYS.secret("Jack")).key_digest
SAMS_ADDRESS = KeyFile("Sam", NAMED_KEYS.secret("Sam")).key_digest


@pytest.fixture(scope="module")
def wallets() -> Wallets:
    return Wallets()


@pytest.fixture(scope="module")
def block1(client: NodeClient, wallets: Wallets) -> dict[str, object]:
    """Sam and Jack submit their own registration proofs (block 1); Kate proves one at genesis and keeps it."""
    sam, jack, kate = (wallets.prove(client, u, n, REGISTER) for u, n in ((SAM, "Sam"), (JACK, "Jack"), (KATE, "Kate")))
    receipts = [wallets.submit(client, sam), wallets.submit(client, jack)]  # receipts checked against the key
    wait_until(lambda: client.head()["finalized"] == 1, what="block 1")
    return {"sam": sam, "kate_at_genesis": kate, "receipts": receipts}


def stored(node: NodeProcess) -> tuple[int, int, int]:
    """(pending sessions, blocks, receipts) as the databases hold them."""
    chain, mine = node.directory / DATABASE_FILENAME, node.directory / NODE_DATABASE
    pending = count_rows(chain, "pending_sessions") + count_rows(chain, "pending_proven")
    return pending, count_rows(chain, "blocks"), count_rows(mine, "receipts")


def assert_refused(node: NodeProcess, client: NodeClient, body: bytes, status: int, kind: str) -> None:
    before = stored(node)
    response = client.submit_raw(body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == kind and response.json()["reason"]
    assert stored(node) == before


def test_own_proofs_are_admitted_with_signed_receipts_and_labelled(
    node: NodeProcess, client: NodeClient, wallets: Wallets, block1: dict[str, object]
) -> None:
    receipts = block1["receipts"]
    assert isinstance(receipts, list)
    assert [r["receipt"]["block"] for r in receipts] == [1, 1]
    for signed in receipts:
        assert client.get(f"/sessions/{signed['receipt']['submission']}")["status"] == "included"
    block = client.get("/blocks/1")
    assert [(e["user_id"], e["deposit"], e["proven_by"]) for e in block["public_data"]] == [
        (SAM, 100, "its user"),
        (JACK, 100, "its user"),
    ]
    sams = client.account(SAM)
    assert sams["private"] and sams["balance"] is None  # the node never learns an own-prover's balance
    assert wallets.state(client, SAM, "Sam").account.balance == 100  # type: ignore[union-attr]
    assert ">its user<" in httpx.get(f"{node.url}/explorer/blocks/1").text


def test_garbage_and_truncated_files_are_refused(
    node: NodeProcess, client: NodeClient, block1: dict[str, object]
) -> None:
    kate = block1["kate_at_genesis"]  # never accepted: a replay check does not apply
    assert isinstance(kate, bytes)
    proven = SessionProofFile.from_bytes(kate)
    assert_refused(node, client, b"\x00garbage\xff", 400, "malformed")
    assert_refused(node, client, kate[: len(kate) // 2], 400, "malformed")
    cut = dataclasses.replace(proven, proof=proven.proof[:-100]).to_bytes()
    assert_refused(node, client, cut, 400, "malformed")


def test_a_file_reading_a_stale_root_is_refused(
    node: NodeProcess, client: NodeClient, block1: dict[str, object]
) -> None:
    kate = block1["kate_at_genesis"]
    assert isinstance(kate, bytes)
    assert_refused(node, client, kate, 409, "stale_root")


def test_a_replayed_file_is_refused(node: NodeProcess, client: NodeClient, block1: dict[str, object]) -> None:
    sam = block1["sam"]
    assert isinstance(sam, bytes)
    assert_refused(node, client, sam, 409, "replayed")


def test_a_proof_under_a_key_outside_the_whitelist_is_refused(
    node: NodeProcess, client: NodeClient, wallets: Wallets, block1: dict[str, object]
) -> None:
    """Sam's send proven with a one-slot session circuit outside the block tree: a valid proof, not of the tree."""
    head = client.head()
    key = KeyFile("Sam", NAMED_KEYS.secret("Sam"))
    request = SessionRequest(sends=((JACK, 5, JACKS_ADDRESS),))
    wallet = wallets.state(client, SAM, "Sam")
    session, state = build_session(client, head["finalized"], parse_digest_hex(head["root"]), wallet, key, request)
    foreign = proof_to_bytes(
        prove_session(execute_session(state, session).trace, session_circuit_of(SlotLayout.of_any(1)))
    )
    honest = SessionProofFile.from_bytes(wallets.prove(client, SAM, "Sam", request))
    assert_refused(node, client, dataclasses.replace(honest, proof=foreign).to_bytes(), 422, "invalid_proof")


def test_a_second_session_of_a_user_in_one_block_is_refused(
    node: NodeProcess, client: NodeClient, wallets: Wallets, block1: dict[str, object]
) -> None:
    first = wallets.submit(client, wallets.prove(client, SAM, "Sam", SessionRequest(sends=((JACK, 5, JACKS_ADDRESS),))))
    second = wallets.prove(client, SAM, "Sam", SessionRequest(sends=((JACK, 6, JACKS_ADDRESS),)))
    assert_refused(node, client, second, 409, "duplicate")
    wallets.submit(client, wallets.prove(client, JACK, "Jack", SessionRequest(sends=((SAM, 1, SAMS_ADDRESS),))))
    wait_until(lambda: client.head()["finalized"] == 2, what="block 2")
    assert client.get(f"/sessions/{first['receipt']['submission']}")["block"] == 2
    sam, jack = wallets.state(client, SAM, "Sam"), wallets.state(client, JACK, "Jack")
    assert (sam.account.balance, jack.account.balance) == (95, 99)  # type: ignore[union-attr]
    assert client.account(SAM)["balance"] is None and client.account(JACK)["balance"] is None
