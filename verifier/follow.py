"""Following a node as a light client: one chain-proof check per poll from the trusted head, the head persisted.

    rollup-verify --vk chain.key --follow URL --genesis-root HEX --state FILE
                  [--sequencer-key HEX] [--until-block N] [--poll S]

The trusted head is a chain statement (``verifier.chain``: genesis root,
height, latest root, chain digest) and the sequencer's public key, kept in the
state file (created at the genesis statement on first use; the sequencer key
is ``--sequencer-key``, or the one the node announces on first use, then
pinned). Each poll:

1. reads the node's head; a chain-proven height below the trusted one is refused;
2. when it is higher, fetches the latest chain proof (``/v1/chain/proof``) and
   verifies it from the trusted genesis root under the chain key the client
   holds (never one from the node): one proof check for any number of blocks;
3. checks that it *extends* the trusted head, not merely that it is a valid
   chain: from the trusted statement it hashes the statements of the blocks
   after it (``/v1/blocks/N``, each the public inputs of that block's proof)
   into the chain digest (``verifier.chain.extend_chain``), which must give
   the proven statement; a chain that forks below the trusted height cannot;
4. checks the sequencer's signed header of the proven block: a valid
   signature by the pinned key over that block's number and roots, which
   must be the proven ones;
5. only then writes the new head to the state file atomically (write, sync,
   rename), so a crash never leaves a head that was not verified.

A node that serves anything else (a lower height, another genesis, a proof
that does not verify, a chain that does not extend the trusted head, a signed
header that disagrees with the proven root) is refused with exit status 1 and
the state file keeps the last verified head.

Only the standard library is used to talk HTTP: the verifier package is the
trusted kernel and depends on nothing the rollup's server side uses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.chain import (
    ChainError,
    ChainKey,
    ChainStatement,
    chain_key_from_bytes,
    extend_chain,
    genesis_statement,
    verify_chain_proof,
)
from verifier.hashing import Digest
from verifier.light_client import (
    MAX_KEY_BYTES,
    BlockRejectedError,
    BlockStatement,
    digest_hex,
    parse_digest_hex,
    read_bounded,
)
from verifier.sequencer_signatures import BlockHeader, SignatureError, verify_header
from verifier.serialization import FormatError, proof_from_bytes, proof_size

API_PREFIX = "/v1"
HTTP_TIMEOUT_SECONDS = 60.0
MAX_JSON_BYTES = 1 << 20
"""A head or block document is a few kB; a node sending more than this is refused rather than read."""
STATE_VERSION = 2


class NodeMisbehavedError(BlockRejectedError):
    """The node served something that does not extend the trusted head."""


@dataclass(frozen=True)
class TrustedHead:
    """The last verified chain statement (height ``GENESIS_HEIGHT``, 0, at genesis) and the pinned sequencer key."""

    statement: ChainStatement
    sequencer_key: bytes | None

    @property
    def height(self) -> int:
        return self.statement.height

    def to_json(self) -> dict[str, Any]:
        s = self.statement
        return {
            "version": STATE_VERSION,
            "genesis_root": digest_hex(s.genesis_root),
            "block": s.height,
            "root": digest_hex(s.latest_root),
            "chain_digest": digest_hex(s.chain_digest),
            "sequencer_key": None if self.sequencer_key is None else self.sequencer_key.hex(),
        }


def load_head(path: Path, genesis_root: Digest, sequencer_key: bytes | None = None) -> TrustedHead:
    """The head in ``path``, or genesis (with ``sequencer_key``) when the file does not exist; FormatError when
    unusable, for another chain, or pinning another sequencer key than ``sequencer_key``."""
    if not path.exists():
        return TrustedHead(genesis_statement(genesis_root), sequencer_key)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document["version"] != STATE_VERSION:
            raise ValueError(f"state version {document['version']!r}, this program reads {STATE_VERSION}")
        statement = ChainStatement(
            parse_digest_hex(document["genesis_root"]),
            int(document["block"]),
            parse_digest_hex(document["root"]),
            parse_digest_hex(document["chain_digest"]),
        )
        pinned = None if document["sequencer_key"] is None else bytes.fromhex(document["sequencer_key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"the light client state {path} is unusable: {exc}") from exc
    if statement.genesis_root != genesis_root:
        raise FormatError(f"{path} follows a chain with another genesis root ({digest_hex(statement.genesis_root)})")
    if sequencer_key is not None and pinned is not None and pinned != sequencer_key:
        raise FormatError(f"{path} pins another sequencer key than --sequencer-key")
    return TrustedHead(statement, pinned if pinned is not None else sequencer_key)


def save_head(path: Path, head: TrustedHead) -> None:
    """Write the head atomically: a temporary file, synced, renamed over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(json.dumps(head.to_json(), indent=2) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _get(url: str, limit: int) -> tuple[bytes, dict[str, str]]:
    """The body (at most ``limit`` bytes) and headers of a GET; FormatError when the node does not answer 200."""
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(limit + 1)
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        raise FormatError(f"the node answered {exc.code} for {url}: {exc.read(500).decode(errors='replace')}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise FormatError(f"cannot reach the node at {url}: {exc}") from exc
    if len(data) > limit:
        raise NodeMisbehavedError(f"the node sent more than {limit} bytes for {url}")
    return data, headers


def _get_json(url: str) -> dict[str, Any]:
    data, _ = _get(url, MAX_JSON_BYTES)
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise NodeMisbehavedError(f"the node's answer to {url} is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise NodeMisbehavedError(f"the node's answer to {url} is not a JSON object")
    return document


def _height(document: dict[str, Any], field: str) -> int:
    value = document.get(field)
    if type(value) is not int:
        raise NodeMisbehavedError(f"the node's head has no {field} height: {document!r}")
    return value


def _block_statement(url: str, number: int) -> tuple[BlockStatement, dict[str, Any]]:
    """Block ``number``'s proven statement and document as the node serves them (checked later)."""
    document = _get_json(f"{url}{API_PREFIX}/blocks/{number}")
    try:
        return BlockStatement.from_elements(document["statement"]), document
    except (KeyError, TypeError, ValueError) as exc:
        raise NodeMisbehavedError(f"the node serves no proven statement for block {number}: {exc}") from exc


def _check_signed_header(document: dict[str, Any], block: BlockStatement, sequencer_key: bytes) -> None:
    """NodeMisbehavedError unless the block's header is signed by ``sequencer_key`` and names the proven roots."""
    try:
        header = BlockHeader.from_json(document["header"])
        verify_header(sequencer_key, header, bytes.fromhex(document["header_signature"]))
    except (KeyError, TypeError, ValueError) as exc:  # SignatureError is a ValueError
        raise NodeMisbehavedError(f"block {block.block_number}'s signed header does not check: {exc}") from exc
    signed = (header.number, header.prev_root, header.new_root, header.data_root)
    if signed != (block.block_number, block.prev_root, block.new_root, block.data_root):
        raise NodeMisbehavedError(
            f"the sequencer's signed header of block {block.block_number} disagrees with the proven roots"
        )


def _announced_key(url: str) -> bytes:
    try:
        return bytes.fromhex(str(_get_json(f"{url}{API_PREFIX}/sequencer")["public_key"]))
    except (KeyError, ValueError) as exc:
        raise NodeMisbehavedError(f"the node announces no usable sequencer key: {exc}") from exc


def follow_once(url: str, key: ChainKey, head: TrustedHead) -> TrustedHead:
    """Verify the node's latest chain proof against ``head``; returns the new head (``head`` when nothing new)."""
    served = _get_json(f"{url}{API_PREFIX}/head")
    claimed = _height(served, "chain_proven")
    if claimed < head.height:
        raise NodeMisbehavedError(f"the node's chain-proven height {claimed} is below the trusted height {head.height}")
    if claimed == head.height:
        return head
    data, headers = _get(f"{url}{API_PREFIX}/chain/proof", proof_size(key.step.common))
    try:
        statement = verify_chain_proof(key, proof_from_bytes(data), head.statement.genesis_root)
    except (FormatError, ChainError) as exc:
        raise NodeMisbehavedError(f"the node's chain proof is refused: {exc}") from exc
    if headers.get("x-chain-height") != str(statement.height):
        raise NodeMisbehavedError(f"the node serves its chain proof of height {statement.height} as another height")
    if statement.height <= head.height:
        raise NodeMisbehavedError(
            f"the node's chain proof (height {statement.height}) does not extend the trusted height {head.height}"
        )
    extended = head.statement
    for number in range(head.height + 1, statement.height + 1):
        block, document = _block_statement(url, number)
        try:
            extended = extend_chain(extended, block)
        except ChainError as exc:
            raise NodeMisbehavedError(f"the node's blocks do not extend the trusted head: {exc}") from exc
    if extended != statement:
        raise NodeMisbehavedError(
            f"the node's chain proof of height {statement.height} is of a chain that does not extend the trusted "
            f"head at height {head.height}"
        )
    sequencer_key = head.sequencer_key if head.sequencer_key is not None else _announced_key(url)
    _check_signed_header(document, block, sequencer_key)
    return TrustedHead(statement, sequencer_key)


def follow(
    url: str,
    key: ChainKey,
    state: Path,
    head: TrustedHead,
    until_block: int | None,
    poll_seconds: float,
    on_head: Callable[[TrustedHead], None] = lambda head: None,
) -> TrustedHead:
    """Follow the node from ``head`` until the trusted height reaches ``until_block`` (for ever when None),
    saving each new head to ``state`` before ``on_head`` hears of it."""
    url = url.rstrip("/")
    while True:
        new = follow_once(url, key, head)
        if new != head:
            save_head(state, new)
            on_head(new)
            head = new
        if until_block is not None and head.height >= until_block:
            return head
        time.sleep(poll_seconds)


def _print_head(head: TrustedHead) -> None:
    print(f"trusted head: block {head.height}, root {digest_hex(head.statement.latest_root)}", flush=True)


def follow_main(args: argparse.Namespace) -> int:
    """``rollup-verify --follow``: 0 when ``--until-block`` is reached, 1 when the node misbehaves, 2 bad input."""
    try:
        if not args.genesis_root or not args.state:
            raise FormatError("--follow needs --genesis-root and --state")
        key = chain_key_from_bytes(read_bounded(args.vk, "chain key", MAX_KEY_BYTES))
        pinned = None if args.sequencer_key is None else bytes.fromhex(args.sequencer_key)
        state = Path(args.state)
        head = load_head(state, parse_digest_hex(args.genesis_root), pinned)
        head = follow(args.follow, key, state, head, args.until_block, args.poll, _print_head)
    except (NodeMisbehavedError, SignatureError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except (FormatError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    _print_head(head)
    return 0
