"""The node as a real server on loopback: endpoints, refusals with reasons, nothing stored when refused.

Sessions here go to the delegated-proving endpoint (a session holding its
secret, proven by the node), which is quick to exercise; session-proof files
are test_proof_submissions.py's. One node per module (``--no-prove``:
sequencing and serving; proving has its own slow tests). It seals a block as soon as two sessions wait, so the tests
decide exactly which sessions share a block.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from keys_support import NAMED_KEYS
from node_support import NodeProcess, address_of, count_rows, register, send, wait_until

from rollup.block import block_data_digest
from rollup.node.app import MAX_BODY_BYTES
from rollup.node.client import DELEGATED_SUBMIT_PATH, NodeClient, NodeRefusedError
from rollup.node.store import NODE_DATABASE
from rollup.operations import Send
from rollup.params import DATABASE_FILENAME, SEND_SESSION_SLOTS
from rollup.public_data_json import public_data_from_json
from rollup.session import Session, session_to_json
from verifier.light_client import digest_hex, parse_digest_hex
from verifier.sequencer_signatures import BlockHeader, verify_header


@pytest.fixture(scope="module")
def block1(client: NodeClient) -> dict[str, object]:
    """Sam and Jack register; Jack's arrival seals block 1. Returns their signed receipts."""
    genesis = client.head()["root"]
    sam = client.submit_delegated(register(1, "Sam", genesis))
    jack = client.submit_delegated(register(2, "Jack", genesis))
    wait_until(lambda: client.head()["finalized"] == 1, what="block 1")
    return {"sam": sam, "jack": jack, "genesis": genesis}


def stored(node: NodeProcess) -> tuple[int, int, int]:
    """(pending sessions, blocks, receipts) as the databases hold them."""
    chain, mine = node.directory / DATABASE_FILENAME, node.directory / NODE_DATABASE
    return count_rows(chain, "pending_sessions"), count_rows(chain, "blocks"), count_rows(mine, "receipts")


def test_fresh_head_and_health(client: NodeClient) -> None:
    health = client.get("/health")
    assert health["status"] == "ok"
    head = client.head()
    assert len(head["root"]) == 64 and len(head["sequencer_public_key"]) == 96
    assert (head["finalized"], head["proven"], head["chain_proven"]) == (0, 0, 0)
    with pytest.raises(NodeRefusedError) as none_yet:
        client.chain_proof()
    assert (none_yet.value.status, none_yet.value.kind) == (404, "not_chain_proven")


def test_receipts_promise_the_block_that_holds_them(client: NodeClient, block1: dict[str, object]) -> None:
    # the receipts were verified against the announced key by submit(); here: the promise is kept
    for name in ("sam", "jack"):
        signed = block1[name]
        assert isinstance(signed, dict)
        assert signed["receipt"]["block"] == 1
        status = client.get(f"/sessions/{signed['receipt']['submission']}")
        assert status["status"] == "included" and status["block"] == 1
    block = client.get("/blocks/1")
    assert [e["user_id"] for e in block["public_data"]] == [1, 2]
    assert block["proven"] is False


DATA_KEYS = ("user_id", "deposit", "outbox_root", "opaque_digest", "appends")
"""A session's data-availability data (``rollup.public_data_json``), as the exported block files carry it."""


def test_block_public_data_is_the_data_availability_data_under_its_data_root(
    client: NodeClient, block1: dict[str, object]
) -> None:
    block = client.get("/blocks/1")
    entries = [public_data_from_json({key: e[key] for key in DATA_KEYS}) for e in block["public_data"]]
    assert [digest_hex(entry.new_leaf) for entry in entries] == [e["new_leaf"] for e in block["public_data"]]
    assert digest_hex(block_data_digest(entries)) == block["data_root"]


def test_block_header_is_signed_by_the_sequencer(client: NodeClient, block1: dict[str, object]) -> None:
    block = client.get("/blocks/1")
    header = BlockHeader.from_json(block["header"])
    assert (header.number, block["header"]["new_root"]) == (1, block["new_root"])
    verify_header(client.sequencer_key, header, bytes.fromhex(block["header_signature"]))


def test_wallet_data_is_served(client: NodeClient, block1: dict[str, object]) -> None:
    account = client.account(1)
    assert (account["registered"], account["balance"], account["nonce"]) == (True, 100, 0)
    assert len(account["global_path"]) == 20
    assert client.account(5)["registered"] is False


def delegated_raw(client: NodeClient, body: bytes) -> httpx.Response:
    """POST ``body`` to the delegated-proving endpoint as it is."""
    return client.submit_raw(body, DELEGATED_SUBMIT_PATH, "application/json")


def _refused(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == kind and body["reason"]
    return str(body["reason"])


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe garbage", 400, "malformed_json"),
        (b'{"user_id": 1}', 400, "malformed_session"),
        (b"[]", 400, "malformed_session"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "malformed_json"),
        (b'{"user_id": 1, "user_id": 2}', 400, "malformed_json"),
    ],
)
def test_malformed_bodies_are_refused_and_not_stored(
    node: NodeProcess, client: NodeClient, block1: dict[str, object], body: bytes, status: int, kind: str
) -> None:
    before = stored(node)
    _refused(delegated_raw(client, body), status, kind)
    assert stored(node) == before


def test_truncated_session_is_refused(node: NodeProcess, client: NodeClient, block1: dict[str, object]) -> None:
    text = session_to_json(send(1, "Sam", client.head()["root"], 2, 5, 1)).encode()
    before = stored(node)
    _refused(delegated_raw(client, text[: len(text) // 2]), 400, "malformed_json")
    assert stored(node) == before


def test_oversized_body_is_refused(node: NodeProcess, client: NodeClient, block1: dict[str, object]) -> None:
    before = stored(node)
    reason = _refused(client.submit_raw(b" " * (MAX_BODY_BYTES + 1)), 413, "body_too_large")
    assert str(MAX_BODY_BYTES) in reason
    assert stored(node) == before


def test_rule_breaking_sessions_are_refused_with_their_reason(
    node: NodeProcess, client: NodeClient, block1: dict[str, object]
) -> None:
    root = client.head()["root"]
    genesis = str(block1["genesis"])
    too_large = Session(
        1,
        parse_digest_hex(root),
        NAMED_KEYS.secret("Sam"),
        tuple(Send(2, address_of(2), 1, n) for n in range(1, SEND_SESSION_SLOTS + 2)),
    )
    before = stored(node)
    cases = [
        (send(1, "Sam", genesis, 2, 5, 1), 409, "stale_root"),
        (send(1, "Sam", root, 2, 500, 1), 422, "overdraft"),
        (send(1, "Sam", root, 2, 5, 7), 422, "nonce"),
        (send(1, "Kim", root, 2, 5, 1), 422, "authorization"),
        (register(1, "Sam", root), 422, "already_registered"),
        (too_large, 422, "session_too_large"),
    ]
    for session, status, kind in cases:
        with pytest.raises(NodeRefusedError) as refused:
            client.submit_delegated(session)
        assert (refused.value.status, refused.value.kind) == (status, kind)
    assert stored(node) == before


def test_replayed_submission_is_refused(node: NodeProcess, client: NodeClient, block1: dict[str, object]) -> None:
    before = stored(node)
    with pytest.raises(NodeRefusedError) as refused:
        client.submit_delegated(register(1, "Sam", str(block1["genesis"])))
    assert (refused.value.status, refused.value.kind) == (409, "replayed")
    assert stored(node) == before


def test_second_session_of_a_user_in_one_block_is_refused(
    node: NodeProcess, client: NodeClient, block1: dict[str, object]
) -> None:
    root = client.head()["root"]
    first = client.submit_delegated(send(1, "Sam", root, 2, 5, 1))
    before = stored(node)
    with pytest.raises(NodeRefusedError) as refused:
        client.submit_delegated(send(1, "Sam", root, 2, 6, 1))
    assert (refused.value.status, refused.value.kind) == (409, "duplicate_user")
    assert stored(node) == before
    # Jack's session fills block 2 (two sessions): Sam's first session is in it, the refused one nowhere
    client.submit_delegated(send(2, "Jack", root, 1, 1, 1))
    wait_until(lambda: client.head()["finalized"] == 2, what="block 2")
    assert client.get(f"/sessions/{first['receipt']['submission']}")["block"] == 2
    assert client.account(1)["balance"] == 100 - 5 + 0


@pytest.mark.parametrize("path", ["/v2/head", "/v1/nothing", "/head", "/v1/blocks/abc"])
def test_unknown_endpoints_and_versions(client: NodeClient, node: NodeProcess, path: str) -> None:
    response = httpx.get(f"{node.url}{path}")
    assert 400 <= response.status_code < 500
    assert response.json()["reason"]


def test_unknown_block_and_unproven_proof(client: NodeClient, block1: dict[str, object]) -> None:
    with pytest.raises(NodeRefusedError) as unknown:
        client.get("/blocks/99")
    assert (unknown.value.status, unknown.value.kind) == (404, "unknown_block")
    with pytest.raises(NodeRefusedError) as unproven:
        client.get_bytes("/blocks/1/proof")
    assert (unproven.value.status, unproven.value.kind) == (404, "not_proven")


def test_openapi_schema_lists_the_endpoints(client: NodeClient) -> None:
    schema = client.get("/openapi.json")
    paths = {"/v1/sessions", "/v1/delegated/sessions", "/v1/head", "/v1/blocks/{number}/proof", "/v1/chain/proof"}
    assert paths | {"/v1/accounts/{user_id}", "/v1/keys/chain"} <= set(schema["paths"])
    assert "delegated" in schema["paths"]["/v1/delegated/sessions"]["post"]["summary"]


def test_metrics_count_blocks_and_refusals(node: NodeProcess, client: NodeClient, block1: dict[str, object]) -> None:
    delegated_raw(client, b"{not json")
    text = httpx.get(f"{node.url}/metrics").text
    assert 'rollup_node_submissions_rejected_total{reason="malformed_json"}' in text
    finalized = next(line for line in text.splitlines() if line.startswith("rollup_node_blocks_finalized "))
    assert float(finalized.split()[1]) == client.head()["finalized"]
    assert "rollup_node_queue_depth" in text and "rollup_node_block_proving_seconds_bucket" in text
    assert "rollup_node_blocks_chain_proven 0.0" in text


def test_a_second_node_on_the_same_directory_is_refused(node: NodeProcess, tmp_path: Path) -> None:
    second = NodeProcess(node.directory, "--no-prove")
    with pytest.raises(RuntimeError, match="another rollup command is using"):
        second.start()
    assert second.process is not None and second.process.returncode == 2
