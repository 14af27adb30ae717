"""rollup-verify --follow against honest and misbehaving nodes: one chain-proof check per poll, refusals keep the head.

The node here is a small stdlib HTTP server on loopback serving what an honest,
dishonest or broken node might. Its chain proofs come from a circuit that
proves any statement under a fake chain key (``statement_circuits``), so every
check of the light client but the proof's own soundness is exercised; real
chain proofs from a real node are the slow tests in tests/rollup/node/test_proving.py.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from statement_circuits import StatementCircuit

from verifier.chain import (
    CHAIN_PUBLIC_INPUTS,
    ChainKey,
    ChainStatement,
    chain_statement,
    genesis_statement,
)
from verifier.follow import NodeMisbehavedError, TrustedHead, follow, follow_once, load_head, save_head
from verifier.hashing import Digest
from verifier.light_client import BlockStatement, parse_digest_hex
from verifier.sequencer_signatures import BlockHeader, G2ProofOfPossession
from verifier.serialization import proof_to_bytes

GENESIS = parse_digest_hex("e2565d7d2570a7ca25d7392ef5a7cd9b130cc43746d5bc5e30e8e0ce51e34ead")
OTHER_ROOT: Digest = (9, 9, 9, 9)
WHITELIST: Digest = (17, 18, 19, 20)
GENESIS_CIRCUIT: Digest = (21, 22, 23, 24)
SEQUENCER_SECRET = 12345
SEQUENCER_KEY = bytes(G2ProofOfPossession.SkToPk(SEQUENCER_SECRET))
ROUTES: dict[str, tuple[bytes, dict[str, str]]] = {}


class _Node(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, headers = ROUTES.get(self.path, (b'{"error": "unknown_endpoint", "reason": "no"}', {"status": "404"}))
        self.send_response(int(headers.get("status", "200")))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def fresh_routes() -> None:
    ROUTES.clear()


@pytest.fixture(scope="module")
def circuit() -> StatementCircuit:
    return StatementCircuit(CHAIN_PUBLIC_INPUTS)


@pytest.fixture(scope="module")
def key(circuit: StatementCircuit) -> ChainKey:
    return ChainKey(circuit.data.verifier_key, GENESIS_CIRCUIT)


def blocks(count: int, genesis: Digest = GENESIS) -> list[BlockStatement]:
    """``count`` chained block statements from ``genesis``: block n goes from root (n-1, ...) to (n, ...)."""
    roots = [genesis, *[(n, n, n, n) for n in range(1, count + 1)]]
    return [BlockStatement(roots[n - 1], roots[n], n, (n, 0, 0, 7), WHITELIST) for n in range(1, count + 1)]


def serve(
    circuit: StatementCircuit,
    key: ChainKey,
    chain: list[BlockStatement],
    proven: ChainStatement | None = None,
    header_root: Digest | None = None,
    signer: int = SEQUENCER_SECRET,
) -> ChainStatement:
    """Serve ``chain``: its head, a chain proof of ``proven`` (default: the chain's own statement), each block's
    statement, and the last block's header signed by ``signer`` naming ``header_root`` (default: its new root)."""
    statement = proven or chain_statement(GENESIS, chain)
    proof = circuit.prove([*statement.elements(), *key.whitelist_root])
    ROUTES["/v1/head"] = (json.dumps({"chain_proven": statement.height}).encode(), {})
    ROUTES["/v1/chain/proof"] = (proof_to_bytes(proof), {"X-Chain-Height": str(statement.height)})
    ROUTES["/v1/sequencer"] = (json.dumps({"public_key": SEQUENCER_KEY.hex()}).encode(), {})
    for block in chain:
        document = {"statement": block.elements()}
        if block is chain[-1]:
            new_root = header_root or block.new_root
            header = BlockHeader(block.block_number, block.prev_root, new_root, block.data_root, bytes(32), bytes(32))
            signature = bytes(G2ProofOfPossession.Sign(signer, header.message()))
            document |= {"header": header.to_json(), "header_signature": signature.hex()}
        ROUTES[f"/v1/blocks/{block.block_number}"] = (json.dumps(document).encode(), {})
    return statement


def at_genesis() -> TrustedHead:
    return TrustedHead(genesis_statement(GENESIS), None)


def test_an_honest_node_is_followed_with_one_chain_proof_per_poll(
    node_url: str, circuit: StatementCircuit, key: ChainKey
) -> None:
    chain = blocks(3)
    statement = serve(circuit, key, chain[:2])
    head = follow_once(node_url, key, at_genesis())
    assert (head.statement, head.sequencer_key) == (statement, SEQUENCER_KEY)
    assert follow_once(node_url, key, head) is head  # nothing new: nothing fetched beyond the head
    later = serve(circuit, key, chain)
    assert follow_once(node_url, key, head).statement == later


def test_a_chain_proven_height_below_the_trusted_one_is_refused(
    node_url: str, circuit: StatementCircuit, key: ChainKey
) -> None:
    chain = blocks(3)
    trusted = TrustedHead(chain_statement(GENESIS, chain), SEQUENCER_KEY)
    serve(circuit, key, chain[:2])
    with pytest.raises(NodeMisbehavedError, match="below the trusted height 3"):
        follow_once(node_url, key, trusted)


def test_a_chain_from_another_genesis_is_refused(node_url: str, circuit: StatementCircuit, key: ChainKey) -> None:
    other = blocks(2, OTHER_ROOT)
    serve(circuit, key, other, proven=chain_statement(OTHER_ROOT, other))
    with pytest.raises(NodeMisbehavedError, match="another genesis root"):
        follow_once(node_url, key, at_genesis())


def test_a_chain_proof_that_does_not_verify_is_refused(node_url: str, circuit: StatementCircuit, key: ChainKey) -> None:
    """A proof of one chain statement presented as the proof of another, then bytes that are no proof."""
    chain = blocks(2)
    serve(circuit, key, chain)
    proof = circuit.prove([*chain_statement(GENESIS, chain[:1]).elements(), *key.whitelist_root])
    claimed = [*chain_statement(GENESIS, chain).elements(), *key.whitelist_root]
    forged = proof_to_bytes(dataclasses.replace(proof, public_inputs=claimed))
    headers = {"X-Chain-Height": "2"}
    ROUTES["/v1/chain/proof"] = (forged, headers)
    with pytest.raises(NodeMisbehavedError, match="does not verify under the chain key"):
        follow_once(node_url, key, at_genesis())
    ROUTES["/v1/chain/proof"] = (b"\x00garbage", headers)
    with pytest.raises(NodeMisbehavedError, match="chain proof is refused"):
        follow_once(node_url, key, at_genesis())


def test_a_valid_chain_that_does_not_extend_the_trusted_head_is_refused(
    node_url: str, circuit: StatementCircuit, key: ChainKey
) -> None:
    """A fork: the trusted head is block 1 of one history, the node proves 2 blocks of another."""
    trusted = TrustedHead(chain_statement(GENESIS, blocks(1)), SEQUENCER_KEY)
    fork = [BlockStatement(GENESIS, (8, 8, 8, 8), 1, (1, 0, 0, 7), WHITELIST)]
    fork.append(BlockStatement((8, 8, 8, 8), (2, 2, 2, 2), 2, (2, 0, 0, 7), WHITELIST))
    serve(circuit, key, fork)
    with pytest.raises(NodeMisbehavedError, match="not extend the trusted head"):
        follow_once(node_url, key, trusted)


def test_blocks_served_that_are_not_the_proven_ones_are_refused(
    node_url: str, circuit: StatementCircuit, key: ChainKey
) -> None:
    chain = blocks(2)
    lied = [chain[0], BlockStatement(chain[1].prev_root, (5, 5, 5, 5), 2, chain[1].data_root, WHITELIST)]
    serve(circuit, key, lied, proven=chain_statement(GENESIS, chain))
    with pytest.raises(NodeMisbehavedError, match="not extend the trusted head"):
        follow_once(node_url, key, at_genesis())


def test_a_signed_header_that_disagrees_with_the_proven_root_is_refused(
    node_url: str, circuit: StatementCircuit, key: ChainKey
) -> None:
    serve(circuit, key, blocks(2), header_root=OTHER_ROOT)
    with pytest.raises(NodeMisbehavedError, match="disagrees with the proven roots"):
        follow_once(node_url, key, at_genesis())


def test_a_header_signed_by_another_key_than_the_pinned_one_is_refused(
    node_url: str, circuit: StatementCircuit, key: ChainKey
) -> None:
    serve(circuit, key, blocks(2), signer=SEQUENCER_SECRET + 1)
    with pytest.raises(NodeMisbehavedError, match="signed header does not check"):
        follow_once(node_url, key, TrustedHead(genesis_statement(GENESIS), SEQUENCER_KEY))


def test_a_head_without_a_chain_proven_height_is_refused(node_url: str, key: ChainKey) -> None:
    ROUTES["/v1/head"] = (b'{"chain_proven": "lots"}', {})
    with pytest.raises(NodeMisbehavedError, match="no chain_proven height"):
        follow_once(node_url, key, at_genesis())


def test_follow_persists_each_verified_head_and_keeps_it_when_refused(
    node_url: str, circuit: StatementCircuit, key: ChainKey, tmp_path: Path
) -> None:
    state = tmp_path / "head.json"
    chain = blocks(2)
    statement = serve(circuit, key, chain)
    head = follow(node_url, key, state, load_head(state, GENESIS), until_block=2, poll_seconds=0.01)
    assert head.statement == statement and load_head(state, GENESIS) == head
    serve(circuit, key, chain[:1])  # the node goes back a block
    with pytest.raises(NodeMisbehavedError):
        follow(node_url, key, state, head, until_block=3, poll_seconds=0.01)
    assert load_head(state, GENESIS) == head


def test_state_file_round_trip_other_chain_and_other_sequencer_refused(tmp_path: Path) -> None:
    state = tmp_path / "head.json"
    assert load_head(state, GENESIS) == TrustedHead(genesis_statement(GENESIS), None)
    head = TrustedHead(ChainStatement(GENESIS, 4, (1, 2, 3, 4), (5, 6, 7, 8)), SEQUENCER_KEY)
    save_head(state, head)
    assert load_head(state, GENESIS) == head
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(ValueError, match="another genesis root"):
        load_head(state, OTHER_ROOT)
    with pytest.raises(ValueError, match="another sequencer key"):
        load_head(state, GENESIS, bytes(48))
