"""What a sequencer signs, and how a wallet or light client checks it (BLS12-381, IETF BLS as Ethereum uses it).

Scheme: ``py_ecc.G2ProofOfPossession.G2ProofOfPossession`` (public keys in G1, 48 bytes;
signatures in G2, 96 bytes; the ciphersuite
``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``), the scheme of Ethereum's
consensus layer. Every signed message starts with a domain tag, so a
signature over one kind of message is never valid for another.

Block header. The sequencer signs, for block ``n``,

    "zkrollup/header/v1" || n (8 bytes, big-endian) || prev_root || new_root || data_root
                         || chain_digest || receipts_root

(digests as 32 bytes, see :func:`digest_bytes`), where

    chain_digest_n = SHA-256("zkrollup/chain/v1" || chain_digest_{n-1} || n || prev_root || new_root || data_root)

with ``chain_digest_{-1}`` = 32 zero bytes, commits to the whole history, and
``receipts_root`` is the Merkle root of the receipts promised for the block.
Two valid signed headers for one height that differ are *equivocation*:
publicly checkable evidence that the sequencer signed two histories.

Receipts. A receipt is canonical JSON (sorted keys, no whitespace) promising a
submission's block. Receipts are signed in batches: the leaves
``SHA-256(0x00 || receipt)`` form a Merkle tree (RFC 6962 shape: inner nodes
``SHA-256(0x01 || left || right)``, the left subtree the largest power of two),
and one signature over ``"zkrollup/receipts/v1" || root`` covers the batch; each
receipt carries its index and audit path. py_ecc signs in about 0.5 s and
verifies in about 1.6 s on this machine (pure Python), so one signature per
batch instead of one per receipt is what keeps signing from capping the
acceptance rate.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import BLSPubkey, BLSSignature

_RECURSION_LIMIT = sys.getrecursionlimit()
from py_ecc.bls import G2ProofOfPossession  # noqa: E402 - between saving and restoring the limit, see below

# py_ecc raises the interpreter's recursion limit to 100,000 when imported. Its BLS operations do not need it,
# and with it a deeply nested JSON document overflows the C stack (a crash) instead of raising RecursionError,
# in every process that imported py_ecc: the node parses untrusted JSON. So the limit is put back.
sys.setrecursionlimit(_RECURSION_LIMIT)

from verifier.field import to_bytes  # noqa: E402
from verifier.hashing import Digest  # noqa: E402
from verifier.light_client import digest_hex, parse_digest_hex  # noqa: E402

SCHEME = "BLS12-381 G2ProofOfPossession (IETF BLS, as Ethereum)"
HEADER_DOMAIN = b"zkrollup/header/v1"
CHAIN_DOMAIN = b"zkrollup/chain/v1"
RECEIPTS_DOMAIN = b"zkrollup/receipts/v1"
GENESIS_CHAIN_DIGEST = bytes(32)
PUBLIC_KEY_BYTES = 48
SIGNATURE_BYTES = 96


class SignatureError(ValueError):
    """A signature, header or receipt does not check out (the message says which and why)."""


def digest_bytes(digest: Digest) -> bytes:
    """32 bytes: the four field elements, little-endian each."""
    return b"".join(to_bytes(x) for x in digest)


def _sha256(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


@dataclass(frozen=True)
class BlockHeader:
    """The fields of a block the sequencer signs (see the module docstring)."""

    number: int
    prev_root: Digest
    new_root: Digest
    data_root: Digest
    chain_digest: bytes
    receipts_root: bytes

    def message(self) -> bytes:
        """The signed bytes."""
        return HEADER_DOMAIN + self.number.to_bytes(8, "big") + self._roots() + self.chain_digest + self.receipts_root

    def _roots(self) -> bytes:
        return digest_bytes(self.prev_root) + digest_bytes(self.new_root) + digest_bytes(self.data_root)

    def to_json(self) -> dict[str, Any]:
        """The header as a JSON object (roots as 64 hex digits, see ``light_client.digest_hex``)."""
        return {
            "number": self.number,
            "prev_root": digest_hex(self.prev_root),
            "new_root": digest_hex(self.new_root),
            "data_root": digest_hex(self.data_root),
            "chain_digest": self.chain_digest.hex(),
            "receipts_root": self.receipts_root.hex(),
        }

    @staticmethod
    def from_json(document: Mapping[str, Any]) -> BlockHeader:
        """Inverse of :meth:`to_json`; SignatureError on a malformed document."""
        try:
            prev_root, new_root, data_root = (
                parse_digest_hex(document[k]) for k in ("prev_root", "new_root", "data_root")
            )
            chain, receipts = bytes.fromhex(document["chain_digest"]), bytes.fromhex(document["receipts_root"])
            if len(chain) != 32 or len(receipts) != 32:
                raise ValueError("chain_digest and receipts_root are 32 bytes")
            number = document["number"]
            if type(number) is not int or number < 0:
                raise ValueError("number is a non-negative integer")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SignatureError(f"malformed block header: {exc}") from exc
        return BlockHeader(number, prev_root, new_root, data_root, chain, receipts)


def next_chain_digest(previous: bytes, number: int, prev_root: Digest, new_root: Digest, data_root: Digest) -> bytes:
    """chain_digest_n from chain_digest_{n-1} and block n's number and roots."""
    roots = digest_bytes(prev_root) + digest_bytes(new_root) + digest_bytes(data_root)
    return _sha256(CHAIN_DOMAIN, previous, number.to_bytes(8, "big"), roots)


# ----------------------------------------------------------------------------- receipt trees


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace: the bytes a receipt's leaf hashes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return _sha256(b"\x00", data)


def _node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01", left, right)


def _split(n: int) -> int:
    """The largest power of two below ``n`` (n >= 2): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The RFC 6962 tree root of leaf hashes (SHA-256 of nothing for no leaves)."""
    if not leaves:
        return _sha256()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def merkle_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index``, bottom-up."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*merkle_path(leaves[:k], index), merkle_root(leaves[k:])]
    return [*merkle_path(leaves[k:], index - k), merkle_root(leaves[:k])]


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """Recompute the root from a leaf, its index in a tree of ``size`` leaves and its audit path."""
    if not 0 <= index < size:
        raise SignatureError(f"leaf index {index} is outside a tree of {size} leaves")
    if size == 1:
        if path:
            raise SignatureError("a one-leaf tree has an empty audit path")
        return leaf
    if not path:
        raise SignatureError("the audit path is too short")
    k = _split(size)
    if index < k:
        return _node_hash(root_from_path(leaf, index, k, path[:-1]), path[-1])
    return _node_hash(path[-1], root_from_path(leaf, index - k, size - k, path[:-1]))


# ----------------------------------------------------------------------------- checking signatures


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """BLS verification (False for malformed keys or signatures as well as for wrong ones)."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        return bool(G2ProofOfPossession.Verify(BLSPubkey(public_key), message, BLSSignature(signature)))
    except (ValueError, TypeError, AssertionError):
        return False


def receipts_message(root: bytes) -> bytes:
    """The signed bytes of a receipt batch."""
    return RECEIPTS_DOMAIN + root


def verify_header(public_key: bytes, header: BlockHeader, signature: bytes) -> None:
    """SignatureError unless ``signature`` is the sequencer's over ``header``."""
    if not verify_signature(public_key, header.message(), signature):
        raise SignatureError(f"the signature over the header of block {header.number} is not the sequencer's")


def verify_receipt(public_key: bytes, signed: Mapping[str, Any]) -> dict[str, Any]:
    """Check a signed receipt (as the node returns it); returns the receipt itself.

    ``signed`` has ``receipt`` (an object), ``batch`` {``size``, ``index``,
    ``path`` (hex list), ``root`` (hex)} and ``signature`` (hex).
    """
    try:
        receipt = dict(signed["receipt"])
        batch = signed["batch"]
        path = [bytes.fromhex(p) for p in batch["path"]]
        root, signature = bytes.fromhex(batch["root"]), bytes.fromhex(signed["signature"])
        index, size = int(batch["index"]), int(batch["size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureError(f"malformed signed receipt: {exc}") from exc
    if root_from_path(leaf_hash(canonical_json(receipt)), index, size, path) != root:
        raise SignatureError("the receipt is not in the signed batch (its audit path leads elsewhere)")
    if not verify_signature(public_key, receipts_message(root), signature):
        raise SignatureError("the receipt batch signature is not the sequencer's")
    return receipt


def check_equivocation(
    public_key: bytes, first: BlockHeader, first_signature: bytes, second: BlockHeader, second_signature: bytes
) -> int:
    """The height at which the sequencer equivocated; SignatureError when the two are not evidence of it.

    Evidence: both signatures valid under ``public_key``, same block number,
    different signed bytes.
    """
    if first.number != second.number:
        raise SignatureError(f"headers of blocks {first.number} and {second.number} are for different heights")
    if first.message() == second.message():
        raise SignatureError(f"the two headers of block {first.number} are the same header")
    verify_header(public_key, first, first_signature)
    verify_header(public_key, second, second_signature)
    return first.number


MAX_HEADER_FILE_BYTES = 1 << 20


def _signed_header(path: str) -> tuple[BlockHeader, bytes]:
    """A block as ``GET /v1/blocks/{n}`` serves it: its ``header`` and ``header_signature``."""
    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read(MAX_HEADER_FILE_BYTES))
        return BlockHeader.from_json(document["header"]), bytes.fromhex(document["header_signature"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"{path} is not a signed block header: {exc}") from exc


def equivocation_main(files: list[str], public_key_hex: str | None) -> int:
    """``rollup-verify --equivocation A B``: 0 when A and B prove equivocation, 1 when they do not, 2 bad input."""
    try:
        if public_key_hex is None:
            raise SignatureError("--equivocation needs --sequencer-key HEX")
        public_key = bytes.fromhex(public_key_hex)
        (first, first_signature), (second, second_signature) = (_signed_header(f) for f in files)
    except (SignatureError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        height = check_equivocation(public_key, first, first_signature, second, second_signature)
    except SignatureError as exc:
        print(f"no equivocation: {exc}")
        return 1
    print(f"equivocation: the sequencer signed two different headers for block {height}")
    return 0
