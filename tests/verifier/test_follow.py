"""rollup-verify --follow against a misbehaving node: refused, and the trusted head is kept.

The node here is a small stdlib HTTP server on loopback serving what a
dishonest or broken node might; the honest path (real proofs from a real
node) is the slow test tests/rollup/node/test_proving.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from verifier.follow import NodeMisbehavedError, TrustedHead, follow_once, load_head, save_head
from verifier.light_client import parse_digest_hex

GENESIS = parse_digest_hex("e2565d7d2570a7ca25d7392ef5a7cd9b130cc43746d5bc5e30e8e0ce51e34ead")
ROUTES: dict[str, bytes] = {}


class _Node(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = ROUTES.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body if body is not None else b'{"error": "unknown_endpoint", "reason": "no"}')

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_proven_head_behind_the_trusted_one_is_refused(node_url: str) -> None:
    ROUTES["/v1/head"] = json.dumps({"proven": 1}).encode()
    with pytest.raises(NodeMisbehavedError, match="behind the trusted block 3"):
        follow_once(node_url, None, TrustedHead(3, GENESIS))  # type: ignore[arg-type]


def test_a_malformed_proof_is_refused(node_url: str) -> None:
    ROUTES["/v1/head"] = json.dumps({"proven": 1}).encode()
    ROUTES["/v1/blocks/1/proof"] = b"\x00garbage"
    with pytest.raises(NodeMisbehavedError, match="proof of block 1 is malformed"):
        follow_once(node_url, None, TrustedHead(0, GENESIS))  # type: ignore[arg-type]


def test_a_head_without_a_proven_number_is_refused(node_url: str) -> None:
    ROUTES["/v1/head"] = b'{"proven": "lots"}'
    with pytest.raises(NodeMisbehavedError, match="no proven block number"):
        follow_once(node_url, None, TrustedHead(0, GENESIS))  # type: ignore[arg-type]


def test_state_file_round_trip_and_other_chain_refused(tmp_path: Path) -> None:
    state = tmp_path / "head.json"
    assert load_head(state, GENESIS) == TrustedHead(0, GENESIS)
    head = TrustedHead(4, (1, 2, 3, 4))
    save_head(state, head, GENESIS)
    assert load_head(state, GENESIS) == head
    with pytest.raises(ValueError, match="another genesis root"):
        load_head(state, (9, 9, 9, 9))
