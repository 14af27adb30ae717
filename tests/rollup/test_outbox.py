"""The append-only outbox: record digests, slot order, capacity."""

from __future__ import annotations

import pytest

from rollup.errors import OutboxFullError, UnknownTransferError
from rollup.outbox import Outbox, TransferRecord
from rollup.params import OUTBOX_CAPACITY, OUTBOX_DEPTH
from rollup.smt import DEFAULT_DIGESTS, SparseMerkleTree
from verifier.hashing import hash_elements
from verifier.merkle import compute_root_from_path

ADDRESS = (11, 12, 13, 14)
"""A recipient's key digest (any digest: the outbox does not interpret it)."""


def test_append_writes_record_digests_in_order() -> None:
    outbox = Outbox()
    assert outbox.root == DEFAULT_DIGESTS[OUTBOX_DEPTH] and outbox.length == 0
    for recipient, amount in [(7, 10), (8, 0), (7, 3)]:
        record = outbox.next_record(recipient, ADDRESS, amount)
        outbox.append(record)
    assert outbox.record(2) == TransferRecord(7, ADDRESS, 3, 2)
    assert outbox.tree.leaf(1) == hash_elements([8, *ADDRESS, 0, 1])
    path = outbox.tree.siblings(2)
    assert compute_root_from_path(TransferRecord(7, ADDRESS, 3, 2).digest(), 2, path) == outbox.root
    assert Outbox(outbox.records).root == outbox.root
    clone = outbox.copy()
    clone.append(clone.next_record(1, ADDRESS, 1))
    assert outbox.length == 3 and clone.length == 4 and clone.root != outbox.root


def test_missing_records_and_wrong_slots() -> None:
    outbox = Outbox()
    outbox.append(outbox.next_record(1, ADDRESS, 1))
    for index in (-1, 1, OUTBOX_CAPACITY):
        with pytest.raises(UnknownTransferError, match="holds 1 records"):
            outbox.record(index)
    with pytest.raises(ValueError, match="not the next slot"):
        outbox.append(TransferRecord(1, ADDRESS, 1, 5))


def test_full_outbox() -> None:
    records = [TransferRecord(0, ADDRESS, 0, i) for i in range(OUTBOX_CAPACITY)]
    full = Outbox(records, SparseMerkleTree(OUTBOX_DEPTH))  # tree contents irrelevant for the capacity check
    with pytest.raises(OutboxFullError, match=str(OUTBOX_CAPACITY)):
        full.next_record(1, ADDRESS, 1)


def test_consistency_check() -> None:
    records = [TransferRecord(1, ADDRESS, 5, 0), TransferRecord(2, ADDRESS, 6, 1)]
    outbox = Outbox(records)
    assert outbox.is_consistent()
    assert not Outbox(records, Outbox(records[:1]).tree).is_consistent()
    assert not Outbox([TransferRecord(1, ADDRESS, 4, 0)], outbox.copy().tree).is_consistent()
    assert not Outbox([TransferRecord(1, ADDRESS, 5, 1)]).is_consistent()
