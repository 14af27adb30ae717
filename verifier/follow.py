"""Following a node as a light client: verify each new block proof from the trusted head, persist the head.

    rollup-verify --vk block.vk --follow URL --genesis-root HEX --state FILE [--until-block N] [--poll S]

The trusted head is ``(block, root)`` in the state file (created from
``--genesis-root`` on first use, at height 0: blocks are 1, 2, ...). Each round asks the node for
its head, then for every proven block after the trusted one fetches
``/v1/blocks/{n}/proof``, verifies it with the block verifier key (which the
client trusts; it is never taken from the node) and requires that it is block
``n`` and extends the trusted root. Only then is the new head written to the
state file (atomically: write, then rename), so a crash never leaves a head
that was not verified. A node that serves a proof of another block, one that
does not extend the trusted root, or a head behind the trusted one is refused
(exit status 1) and the state file keeps the last verified head.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.chain import GENESIS_HEIGHT
from verifier.hashing import Digest
from verifier.light_client import (
    MAX_KEY_BYTES,
    BlockRejectedError,
    digest_hex,
    parse_digest_hex,
    read_bounded,
    verify_block,
)
from verifier.proof import VerifierKey
from verifier.serialization import FormatError, proof_from_bytes, verifier_key_from_bytes

API_PREFIX = "/v1"
HTTP_TIMEOUT_SECONDS = 60.0
MAX_PROOF_BYTES = 16 << 20
"""A block proof is about 130 kB; a node sending more than this is refused rather than read."""


class NodeMisbehavedError(BlockRejectedError):
    """The node served something that does not extend the trusted head."""


@dataclass(frozen=True)
class TrustedHead:
    """The last verified block (``GENESIS_HEIGHT``, 0: genesis) and its root."""

    block: int
    root: Digest

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "block": self.block, "root": digest_hex(self.root)}


def load_head(path: Path, genesis_root: Digest) -> TrustedHead:
    """The head in ``path``, or genesis when the file does not exist; FormatError when unusable or for another chain."""
    if not path.exists():
        return TrustedHead(GENESIS_HEIGHT, genesis_root)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        head = TrustedHead(int(document["block"]), parse_digest_hex(document["root"]))
        genesis = parse_digest_hex(document.get("genesis_root", digest_hex(genesis_root)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"the light client state {path} is unusable: {exc}") from exc
    if genesis != genesis_root:
        raise FormatError(f"{path} follows a chain with another genesis root ({digest_hex(genesis)})")
    return head


def save_head(path: Path, head: TrustedHead, genesis_root: Digest) -> None:
    """Write the head atomically."""
    document = {**head.to_json(), "genesis_root": digest_hex(genesis_root)}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _get(url: str, limit: int) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise FormatError(f"the node answered {exc.code} for {url}: {exc.read(500).decode(errors='replace')}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise FormatError(f"cannot reach the node at {url}: {exc}") from exc
    if len(data) > limit:
        raise NodeMisbehavedError(f"the node sent more than {limit} bytes for {url}")
    return data


def node_head(url: str) -> dict[str, Any]:
    """The node's ``/v1/head``."""
    try:
        head: dict[str, Any] = json.loads(_get(f"{url}{API_PREFIX}/head", 1 << 16))
    except json.JSONDecodeError as exc:
        raise NodeMisbehavedError(f"the node's head is not JSON: {exc}") from exc
    return head


def follow_once(url: str, vk: VerifierKey, head: TrustedHead, on_block: Any = None) -> TrustedHead:
    """Verify every block the node has proven after ``head``; returns the new head.

    ``on_block(head)`` is called after each verified block (to persist it).
    """
    served = node_head(url)
    proven = served.get("proven")
    if type(proven) is not int:
        raise NodeMisbehavedError(f"the node's head has no proven block number: {served!r}")
    if proven < head.block:
        raise NodeMisbehavedError(f"the node's proven head {proven} is behind the trusted block {head.block}")
    for number in range(head.block + 1, proven + 1):
        data = _get(f"{url}{API_PREFIX}/blocks/{number}/proof", MAX_PROOF_BYTES)
        try:
            proof = proof_from_bytes(data)
        except FormatError as exc:
            raise NodeMisbehavedError(f"the node's proof of block {number} is malformed: {exc}") from exc
        try:
            statement = verify_block(vk, proof, head.root)
        except BlockRejectedError as exc:
            raise NodeMisbehavedError(f"block {number} from the node: {exc}") from exc
        if statement.block_number != number:
            raise NodeMisbehavedError(f"the node served block {statement.block_number} as block {number}")
        head = TrustedHead(number, statement.new_root)
        if on_block is not None:
            on_block(head)
    return head


def follow(
    url: str, vk: VerifierKey, state: Path, genesis_root: Digest, until_block: int | None, poll_seconds: float
) -> TrustedHead:
    """Follow the node until the trusted head reaches ``until_block`` (for ever when None)."""
    head = load_head(state, genesis_root)
    url = url.rstrip("/")
    while True:
        head = follow_once(url, vk, head, lambda h: save_head(state, h, genesis_root))
        if until_block is not None and head.block >= until_block:
            return head
        time.sleep(poll_seconds)


def follow_main(args: argparse.Namespace) -> int:
    """``rollup-verify --follow``: 0 when ``--until-block`` is reached, 1 when the node misbehaves, 2 bad input."""
    try:
        if not args.genesis_root or not args.state:
            raise FormatError("--follow needs --genesis-root and --state")
        vk = verifier_key_from_bytes(read_bounded(args.vk, "verifier key", MAX_KEY_BYTES))
        genesis = parse_digest_hex(args.genesis_root)
        state = Path(args.state)
        head = follow(args.follow, vk, state, genesis, args.until_block, args.poll)
    except NodeMisbehavedError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except (FormatError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"trusted head: block {head.block}, root {digest_hex(head.root)}")
    return 0
