"""A block's published data file, and rebuilding the global tree from block files alone.

Beside each exported block proof ``block-NNNN.proof`` the operator writes
``block-NNNN.data`` (JSON, canonical)::

    {"version": 1, "number": n, "prev_root": HEX, "new_root": HEX,
     "sessions": [{"user_id": u, "deposit": d, "new_leaf": HEX}, ...]}      (by user id)

The block proof's statement carries the data root D_n: the root of the sparse
tree of depth GLOBAL_TREE_DEPTH with H(u, deposit, new_leaf) at u
(:func:`rollup.block.block_data_digest`), which the block circuits compute
in-circuit from the sessions' statements. So a data file is checked against
its proof by recomputing that root: the file says exactly what the proof binds.

:func:`rebuild_global_tree` verifies the proofs of a directory of block files
in order from a trusted genesis root (as a light client), checks each data
file against its proof, and writes the sessions' new leaves into a global
tree, whose root must be each block's new root. It needs nothing but the
files, the block verifier key and the genesis root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.block import Block, block_data_digest
from rollup.errors import RollupError
from rollup.params import GLOBAL_TREE_DEPTH
from rollup.smt import SparseMerkleTree
from rollup.witness import SessionPublicData
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

BLOCK_DATA_VERSION: int = 1
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
            "sessions": [
                {"user_id": s.user_id, "deposit": s.deposit, "new_leaf": digest_hex(s.new_leaf)} for s in self.sessions
            ],
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @staticmethod
    def from_bytes(data: bytes, where: str) -> BlockData:
        """Parse :meth:`to_bytes` output; BlockDataError naming ``where`` on any deviation."""
        try:
            document: Any = json.loads(data.decode("utf-8"))
            if not isinstance(document, dict) or document.get("version") != BLOCK_DATA_VERSION:
                raise ValueError(f"not a version-{BLOCK_DATA_VERSION} block data file")
            sessions = tuple(
                SessionPublicData(_int(s["user_id"]), _int(s["deposit"]), parse_digest_hex(s["new_leaf"]))
                for s in document["sessions"]
            )
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
class RebuiltTree:
    """The global tree after the last block of a directory of block files, and what it came from."""

    tree: SparseMerkleTree
    blocks: int
    last: BlockStatement | None


def rebuild_global_tree(vk_file: Path, directory: Path, genesis_root: Digest) -> RebuiltTree:
    """Rebuild the global tree from the block files in ``directory`` alone (see the module docstring).

    BlockDataError for a missing, malformed or mismatching data file; the light client's
    FormatError or BlockRejectedError (ValueErrors) for an unreadable or rejected proof.
    """
    vk = verifier_key_from_bytes(read_bounded(str(vk_file), "verifier key", MAX_KEY_BYTES))
    limit = proof_size(vk.common)
    tree = SparseMerkleTree(GLOBAL_TREE_DEPTH)
    if tree.root != genesis_root:
        raise BlockDataError("the genesis root is not the root of the empty global tree")
    statement = None
    files = sorted(directory.glob(f"*{PROOF_SUFFIX}")) if directory.is_dir() else []
    for file in files:
        proof = proof_from_bytes(read_bounded(str(file), "proof", limit))
        statement = verify_block(vk, proof, tree.root)
        data_file = data_path(file)
        if not data_file.is_file():
            raise BlockDataError(f"{file} has no data file {data_file.name} beside it")
        data = BlockData.from_bytes(read_bounded(str(data_file), "block data", MAX_BLOCK_DATA_BYTES), str(data_file))
        data.check_against(statement, str(data_file))
        tree.set_leaves({s.user_id: s.new_leaf for s in data.sessions})
        if tree.root != statement.new_root:
            raise BlockDataError(f"{data_file}: its new leaves do not give the proven new root")
    return RebuiltTree(tree, len(files), statement)
