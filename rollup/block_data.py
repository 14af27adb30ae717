"""A block's published data file, and rebuilding the public state (global tree, every outbox) from block files alone.

Beside each exported block proof ``block-NNNN.proof`` the operator writes
``block-NNNN.data`` (JSON, canonical)::

    {"version": 2, "number": n, "prev_root": HEX, "new_root": HEX,
     "sessions": [{"user_id": u, "deposit": d, "outbox_root": HEX, "opaque_digest": HEX,
                   "appends": [{"recipient": r, "address": HEX, "amount": a, "index": j}, ...]},
                  ...]}                                                       (by user id)

(the session entries are :mod:`rollup.public_data_json`'s). Per session that
is everything another party needs without the operator: the user id, the
deposit, the two public parts of the new leaf (a claimer of the user's records
needs exactly these) and every record the session appended to the outbox.

The block proof's statement carries the data root D_n: the root of the sparse
tree of depth GLOBAL_TREE_DEPTH with the session's data digest
H(u, deposit, outbox_root, opaque, appends_digest(records)) at u
(:func:`rollup.block.block_data_digest`). Each session circuit computes its
data digest in-circuit from the values it proves, and the block circuits
combine them in-circuit into D_n. So a data file is checked against its proof
by recomputing that root: the file says exactly what the proof binds.

:func:`rebuild_public_state` verifies the proofs of a directory of block files
in order from a trusted genesis root (as a light client), checks each data
file against its proof, replays each session's appends into its user's outbox
(whose root must be the published one) and writes the sessions' new leaves
into a global tree, whose root must be each block's new root. It needs nothing
but the files, the block verifier key and the genesis root, and the result is
enough to build any claim (:meth:`RebuiltState.sender_proof`): the sender's
outbox root, opaque digest, the record's outbox path and the global path.
What it cannot give is any user's balance, nonce or claimed set: those are
behind each opaque digest, and only their holders know them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.block import Block, block_data_digest, extended_outbox
from rollup.errors import OutboxMismatchError, RollupError
from rollup.params import GLOBAL_TREE_DEPTH
from rollup.public_data_json import public_data_from_json, public_data_to_json
from rollup.smt import SparseMerkleTree
from rollup.state import ChainState, PublicUser
from rollup.witness import SenderProof, SessionPublicData
from verifier.chain import GENESIS_HEIGHT
from verifier.hashing import Digest
from verifier.light_client import (
    MAX_KEY_BYTES,
    PROOF_SUFFIX,
    BlockStatement,
    digest_hex,
    parse_digest_hex,
    read_bounded,
    verify_block,
)
from verifier.serialization import proof_from_bytes, proof_size, verifier_key_from_bytes

BLOCK_DATA_VERSION: int = 2
"""2: sessions carry the new leaf's public parts and their outbox appends (1 carried the new leaf only)."""
DATA_SUFFIX: str = ".data"
MAX_BLOCK_DATA_BYTES: int = 64 << 20
"""A data file holds at most 2^20 sessions of about 150 bytes each; anything larger is refused unread."""


class BlockDataError(RollupError):
    """A block data file that is unreadable, malformed, or not the data its block proof binds."""


@dataclass(frozen=True)
class BlockData:
    """A block's published data: its number, roots and per-session public data."""

    number: int
    prev_root: Digest
    new_root: Digest
    sessions: tuple[SessionPublicData, ...]

    @classmethod
    def of(cls, block: Block) -> BlockData:
        """The published data of a finalized block."""
        return cls(block.number, block.prev_root, block.new_root, block.public_data)

    def to_bytes(self) -> bytes:
        """The data file's content."""
        document = {
            "version": BLOCK_DATA_VERSION,
            "number": self.number,
            "prev_root": digest_hex(self.prev_root),
            "new_root": digest_hex(self.new_root),
            "sessions": [public_data_to_json(s) for s in self.sessions],
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @staticmethod
    def from_bytes(data: bytes, where: str) -> BlockData:
        """Parse :meth:`to_bytes` output; BlockDataError naming ``where`` on any deviation."""
        try:
            document: Any = json.loads(data.decode("utf-8"))
            if not isinstance(document, dict) or document.get("version") != BLOCK_DATA_VERSION:
                raise ValueError(f"not a version-{BLOCK_DATA_VERSION} block data file")
            if not isinstance(document["sessions"], list):
                raise ValueError("sessions must be a list")
            sessions = tuple(public_data_from_json(s) for s in document["sessions"])
            return BlockData(
                _int(document["number"]),
                parse_digest_hex(document["prev_root"]),
                parse_digest_hex(document["new_root"]),
                sessions,
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise BlockDataError(f"{where} is not usable block data: {exc}") from exc

    def check_against(self, statement: BlockStatement, where: str) -> None:
        """BlockDataError unless this data is exactly what ``statement`` (a verified block proof's) binds."""
        if (self.number, self.prev_root, self.new_root) != (
            statement.block_number,
            statement.prev_root,
            statement.new_root,
        ):
            raise BlockDataError(f"{where} describes another block than its proof")
        if block_data_digest(self.sessions) != statement.data_root:
            raise BlockDataError(f"{where}: its sessions do not hash to the proven data root")


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def data_path(proof_file: Path) -> Path:
    """``block-NNNN.data`` beside ``block-NNNN.proof`` (the suffix is appended to any other name)."""
    if proof_file.suffix == PROOF_SUFFIX:
        return proof_file.with_suffix(DATA_SUFFIX)
    return proof_file.with_name(proof_file.name + DATA_SUFFIX)


@dataclass(frozen=True)
class RebuiltState:
    """The public state after the last block of a directory of block files: the global tree and every
    user's outbox and opaque digest, and what it came from."""

    tree: SparseMerkleTree
    users: dict[int, PublicUser]
    data: tuple[BlockData, ...]
    """Every block's published data, in order."""
    proofs: tuple[bytes, ...]
    """Every block's proof (the bytes verified), in order."""
    last: BlockStatement | None

    @property
    def blocks(self) -> int:
        """How many blocks were rebuilt."""
        return len(self.data)

    def state(self) -> ChainState:
        """The rebuilt state as a chain state whose every user is a :class:`~rollup.state.PublicUser`."""
        number = GENESIS_HEIGHT if self.last is None else self.last.block_number
        return ChainState(number, self.tree, dict(self.users))

    def sender_proof(self, sender_id: int, outbox_index: int) -> SenderProof:
        """What a claim of record ``outbox_index`` of ``sender_id`` needs of the sender, from published data
        alone (UnknownTransferError for an empty slot, KeyError for a user without data)."""
        sender = self.users[sender_id]
        sender.outbox.record(outbox_index)
        return SenderProof(
            sender.outbox.root,
            sender.opaque_digest(),
            sender.outbox.tree.siblings(outbox_index),
            self.tree.siblings(sender_id),
        )


def apply_block_data(tree: SparseMerkleTree, users: dict[int, PublicUser], data: BlockData, where: str) -> None:
    """Replay ``data`` (already checked against its proof) into the public state: each session's appends
    into its user's outbox, at the next slots, which must give the published outbox root; then its leaf.

    BlockDataError (and nothing changed for that session) when the appends do not continue the outbox.
    """
    state = ChainState(data.number - 1, tree, dict(users))
    for entry in data.sessions:
        try:
            outbox = extended_outbox(state, entry)
        except OutboxMismatchError as exc:
            raise BlockDataError(f"{where}: {exc}") from exc
        users[entry.user_id] = PublicUser(outbox, entry.opaque_digest)
    tree.set_leaves({entry.user_id: entry.new_leaf for entry in data.sessions})


def rebuild_public_state(vk_file: Path, directory: Path, genesis_root: Digest) -> RebuiltState:
    """Rebuild the global tree and every outbox from the block files in ``directory`` alone (see the module
    docstring).

    BlockDataError for a missing, malformed or mismatching data file; the light client's
    FormatError or BlockRejectedError (ValueErrors) for an unreadable or rejected proof (a missing
    block is a proof whose previous root is not the rebuilt one).
    """
    tree = SparseMerkleTree(GLOBAL_TREE_DEPTH)
    users: dict[int, PublicUser] = {}
    if tree.root != genesis_root:
        raise BlockDataError("the genesis root is not the root of the empty global tree")
    statement = None
    published: list[BlockData] = []
    proofs: list[bytes] = []
    files = sorted(directory.glob(f"*{PROOF_SUFFIX}")) if directory.is_dir() else []
    if not files:
        return RebuiltState(tree, users, (), (), None)
    vk = verifier_key_from_bytes(read_bounded(str(vk_file), "verifier key", MAX_KEY_BYTES))
    limit = proof_size(vk.common)
    for file in files:
        proof_bytes = read_bounded(str(file), "proof", limit)
        statement = verify_block(vk, proof_from_bytes(proof_bytes), tree.root)
        data_file = data_path(file)
        if not data_file.is_file():
            raise BlockDataError(f"{file} has no data file {data_file.name} beside it")
        data = BlockData.from_bytes(read_bounded(str(data_file), "block data", MAX_BLOCK_DATA_BYTES), str(data_file))
        data.check_against(statement, str(data_file))
        apply_block_data(tree, users, data, str(data_file))
        if tree.root != statement.new_root:
            raise BlockDataError(f"{data_file}: its new leaves do not give the proven new root")
        published.append(data)
        proofs.append(proof_bytes)
    return RebuiltState(tree, users, tuple(published), tuple(proofs), statement)
