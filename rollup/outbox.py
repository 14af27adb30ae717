"""A user's outbox: an append-only, fixed-depth Merkle tree of transfer records.

Record j of a user is r_j = (recipient id, recipient address, amount, j) and
sits at leaf j:

    leaf_j = hash_elements([recipient, *address, amount, j])   for j < length
    leaf_j = EMPTY_LEAF                                   for j >= length

in a tree of depth OUTBOX_DEPTH (see :mod:`rollup.smt`). The address is the
recipient's key digest (:func:`rollup.state.key_digest`): only the holder of
that key can claim the record, and only as user ``recipient``, so a transfer to
an id nobody holds yet cannot be claimed by whoever registers it later. Appending writes the
first empty slot, so the outbox is summarised by (root, length). The index
inside the record binds it to its slot: a claim proves ``leaf_j`` at position j
and the claimed set is keyed by (sender id, j).

The records a session appends are published in its block data and bound by
its data digest through a running digest, one step per record in append order:

    appends_0     = EMPTY_LEAF
    appends_{i+1} = hash_elements([*appends_i, *leaf(record_i)])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rollup.errors import OutboxFullError, UnknownTransferError
from rollup.params import OUTBOX_CAPACITY, OUTBOX_DEPTH
from rollup.smt import EMPTY_LEAF, SparseMerkleTree
from verifier.hashing import Digest, hash_elements


@dataclass(frozen=True)
class TransferRecord:
    """One sent transfer: ``amount`` to user ``recipient`` holding the key whose digest is ``address``.

    The sender's ``index``-th send.
    """

    recipient: int
    address: Digest
    amount: int
    index: int

    def digest(self) -> Digest:
        """hash_elements([recipient, *address, amount, index]), the outbox leaf."""
        return hash_elements([self.recipient, *self.address, self.amount, self.index])


def append_digest(appends: Digest, record: TransferRecord) -> Digest:
    """hash_elements([*appends, *record.digest()]): the running appends digest after one more record."""
    return hash_elements([*appends, *record.digest()])


def appends_digest(records: Iterable[TransferRecord]) -> Digest:
    """The running appends digest of ``records`` in order (EMPTY_LEAF for none)."""
    digest = EMPTY_LEAF
    for record in records:
        digest = append_digest(digest, record)
    return digest


class Outbox:
    """The records and Merkle tree of one user's outbox."""

    __slots__ = ("records", "tree")

    def __init__(self, records: Iterable[TransferRecord] = (), tree: SparseMerkleTree | None = None) -> None:
        """An outbox from its records; pass ``tree`` when its nodes are already known (no rehashing)."""
        self.records: list[TransferRecord] = list(records)
        if tree is None:
            tree = SparseMerkleTree(OUTBOX_DEPTH)
            tree.set_leaves({record.index: record.digest() for record in self.records})
        self.tree = tree

    @property
    def length(self) -> int:
        """Number of records appended so far."""
        return len(self.records)

    @property
    def root(self) -> Digest:
        """Root of the outbox tree."""
        return self.tree.root

    def record(self, index: int) -> TransferRecord:
        """Record ``index``; UnknownTransferError if that slot is empty."""
        if not 0 <= index < self.length:
            raise UnknownTransferError(f"outbox slot {index} is empty (the outbox holds {self.length} records)")
        return self.records[index]

    def next_record(self, recipient: int, address: Digest, amount: int) -> TransferRecord:
        """The record the next append would write; OutboxFullError when no slot is left."""
        if self.length >= OUTBOX_CAPACITY:
            raise OutboxFullError(f"the outbox is full ({OUTBOX_CAPACITY} records)")
        return TransferRecord(recipient, address, amount, self.length)

    def append(self, record: TransferRecord) -> None:
        """Write ``record`` into the first empty slot."""
        if record.index != self.length:
            raise ValueError(f"record index {record.index} is not the next slot {self.length}")
        self.tree.set_leaf(record.index, record.digest())
        self.records.append(record)

    def is_consistent(self) -> bool:
        """True when record j has index j, the set leaves are exactly the record digests, and the tree hashes."""
        expected = {record.index: record.digest() for record in self.records}
        return (
            all(record.index == j for j, record in enumerate(self.records))
            and dict(self.tree.leaves()) == expected
            and self.tree.is_consistent()
        )

    def copy(self) -> Outbox:
        """An independent copy (no rehashing)."""
        return Outbox(self.records, self.tree.copy())
