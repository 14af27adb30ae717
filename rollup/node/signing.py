"""Amortized signing: receipts in batches, one header per sealed block.

Receipts. Every accepted submission waits for the next receipt batch: the
signer takes all receipts that arrived while the previous signature was being
computed, signs the Merkle root of their canonical JSON once
(:mod:`verifier.sequencer_signatures`), stores root, index, audit path and
signature with each receipt, and answers every waiting submission. The
acceptance rate is therefore limited by SQLite commits and session execution,
not by py_ecc's half-second signature: a batch of k receipts costs one
signature.

Headers. The header of block n carries the chain digest (which chains n to
n - 1) and the root of block n's receipts; it is signed once, when the block
is sealed. Headers are signed in block order, and any block without a signed
header (a node stopped between sealing and signing) is signed at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from rollup.node.keys import SequencerKey
from rollup.node.store import NodeStore
from rollup.storage import Storage
from verifier.chain import GENESIS_HEIGHT
from verifier.sequencer_signatures import (
    GENESIS_CHAIN_DIGEST,
    BlockHeader,
    canonical_json,
    leaf_hash,
    merkle_path,
    merkle_root,
    next_chain_digest,
)

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    submission: str
    receipt: dict[str, Any]
    answer: asyncio.Future[dict[str, Any]] | None


@dataclass
class ReceiptSigner:
    """Collects receipts and signs them a batch at a time (run :meth:`run` as a task)."""

    key: SequencerKey
    store: NodeStore
    batches_signed: int = 0
    _waiting: list[_Waiting] = field(default_factory=list)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    async def sign(self, submission: str, receipt: dict[str, Any]) -> dict[str, Any]:
        """Wait for the batch that signs ``receipt`` (already stored); returns the signed receipt."""
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(submission, receipt, answer))
        self._wakeup.set()
        return await answer

    def resume(self) -> None:
        """Queue the receipts a stopped node stored but never signed (nobody waits for them)."""
        for row in self.store.unsigned_receipts():
            self._waiting.append(_Waiting(row.submission, row.receipt, None))
        if self._waiting:
            self._wakeup.set()

    async def run(self) -> None:
        """Sign whatever is waiting, for ever."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                try:
                    await self._sign_batch(batch)
                except Exception:  # the waiting submissions got the error; later batches still get signed
                    log.exception("signing a batch of %d receipts failed", len(batch))

    async def _sign_batch(self, batch: list[_Waiting]) -> None:
        leaves = [leaf_hash(canonical_json(item.receipt)) for item in batch]
        root = merkle_root(leaves)
        try:
            signature = await asyncio.to_thread(self.key.sign_receipts, root)
            paths = [merkle_path(leaves, i) for i in range(len(leaves))]
            self.store.sign_batch([item.submission for item in batch], root, paths, signature)
        except Exception as exc:
            for item in batch:
                if item.answer is not None and not item.answer.done():
                    item.answer.set_exception(exc)
            raise
        self.batches_signed += 1
        for item in batch:
            row = self.store.receipt(item.submission)
            signed = row.signed() if row is not None else None
            if item.answer is not None and not item.answer.done() and signed is not None:
                item.answer.set_result(signed)


def receipts_root(store: NodeStore, block: int) -> bytes:
    """The Merkle root of the receipts promising ``block``, by user id."""
    return merkle_root([leaf_hash(canonical_json(row.receipt)) for row in store.block_receipts(block)])


async def sign_new_headers(key: SequencerKey, store: NodeStore, storage: Storage) -> int:
    """Sign the header of every finalized block that has none yet, in order; returns how many."""
    signed = 0
    for number in range(store.latest_header_number() + 1, storage.latest_block_number() + 1):
        previous = store.header(number - 1) if number - 1 > GENESIS_HEIGHT else None
        chain = previous.header.chain_digest if previous is not None else GENESIS_CHAIN_DIGEST
        block = storage.block(number)
        header = BlockHeader(
            number,
            block.prev_root,
            block.new_root,
            block.data_digest,
            next_chain_digest(chain, number, block.prev_root, block.new_root, block.data_digest),
            receipts_root(store, number),
        )
        signature = await asyncio.to_thread(key.sign, header.message())
        store.add_header(header, signature)
        signed += 1
    return signed
