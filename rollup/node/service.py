"""The node's sequencer: accept submissions, seal blocks, sign, and answer reads.

A submission is a session-proof file (:mod:`rollup.session_proof_file`) that
its user proved on its own machine: the node admits it with
:func:`rollup.session_submission.submit_session_proof` (which verifies the
proof and checks it against the chain) and never sees the user's secret.
A *delegated* submission, a session holding its user's secret that the node
proves on the user's behalf, is accepted too (:meth:`NodeService.submit_delegated`,
for load generators and tests); nothing in the main flow needs it.

Everything that touches the chain database runs on the server's event loop
thread, one step at a time, so a submission's checks and its commit are never
interleaved with a seal: a submission is checked against the finalized state,
committed as a pending session (``rollup.sqlite``), then its receipt is
committed (``node.sqlite``), and a registering user gets an operator name
(``user-N``: the chain directory names every registered user); only then
does it wait for its receipt batch's signature. A submission's id is the
SHA-256 of its canonical JSON (for a proof file: the read root and the
session's public data, not the proof), so it is recomputable from the pending
session alone after a restart, and a replay repeats it. The receipt
promises the block that was next when it was committed, and that block will
hold it, because sealing takes every pending session.

A block is sealed every ``block_time`` seconds when sessions wait, or at once
when ``max_sessions`` wait. The prover process (:mod:`rollup.node.prover`)
picks the sealed block up from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollup.block import Block
from rollup.block_plan import BLOCK_NODE
from rollup.errors import BadInputError, MalformedSessionError, RollupError, SessionTooLargeError
from rollup.node.errors import RequestRefusedError, proof_refusal, refusal_for
from rollup.node.keys import SequencerKey
from rollup.node.signing import ReceiptSigner, sign_new_headers
from rollup.node.store import NodeStore
from rollup.operations import Register
from rollup.public_data_json import public_data_to_json
from rollup.sequencer import Sequencer
from rollup.session import (
    Session,
    session_capacity_text,
    session_fits,
    session_from_json,
    session_to_json,
    slots_taken,
)
from rollup.session_proof_file import SessionProofFile
from rollup.session_submission import SessionRefusedError, submit_session_proof
from rollup.smt import EMPTY_LEAF
from rollup.storage import Storage
from rollup.strict_input import parse_json_text
from rollup.witness import SessionPublicData
from verifier.chain import GENESIS_HEIGHT
from verifier.hashing import Digest
from verifier.light_client import BLOCK_STATEMENT_LEN, BlockRejectedError, digest_hex, verify_block
from verifier.serialization import FormatError, proof_from_bytes, verifier_key_from_bytes

RECEIPT_VERSION = 1
PROVEN_BY_USER = "its user"
PROVEN_BY_NODE = "the node (delegated)"
SESSION_JSON_DEPTH = 4
"""A session object holds lists (read root, secret, operations) that hold operation objects, whose
recipient address is a list."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SealPolicy:
    """Seal every ``block_time`` seconds (if anything waits), or as soon as ``max_sessions`` wait."""

    block_time: float
    max_sessions: int


def require_provable(session: Session) -> None:
    """SessionTooLargeError when no session circuit of the block tree holds the session's sends and claims in
    their order (:func:`rollup.session.session_fits`).

    Checked at submission: an accepted session that cannot be proven would stop
    the prover at its block.
    """
    if not session_fits(session.operations):
        raise SessionTooLargeError(
            f"the session has {len(slots_taken(session.operations))} sends and claims; a session proof holds "
            f"{session_capacity_text()}"
        )


def _registers(session: Session) -> bool:
    return bool(session.operations) and isinstance(session.operations[0], Register)


def submission_id(session: Session) -> str:
    """SHA-256 of a delegated session's canonical JSON, what a replay repeats."""
    return hashlib.sha256(session_to_json(session).encode()).hexdigest()


def proof_submission_id(read_root: Digest, public: SessionPublicData) -> str:
    """SHA-256 of the canonical JSON of a session-proof file's read root and public data (its proof aside, so
    another proof of the same session is the same submission), what a replay repeats."""
    document = {"read_root": digest_hex(read_root), "session": public_data_to_json(public)}
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def proven_statement(block_proof: bytes) -> list[int]:
    """The statement elements of a stored block proof (``verifier.light_client.BlockStatement`` order): what a
    light client hashes into the chain digest to check that a chain proof extends its trusted head."""
    return [int(x) for x in proof_from_bytes(block_proof).public_inputs[:BLOCK_STATEMENT_LEN]]


@dataclass
class SubmissionCounters:
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def reject(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1


class NodeService:
    """Submissions, sealing and signing over one chain's sequencer and the node's store."""

    def __init__(
        self,
        sequencer: Sequencer,
        store: NodeStore,
        key: SequencerKey,
        policy: SealPolicy,
        name_users: Callable[[Sequence[int]], None] = lambda user_ids: None,
    ) -> None:
        """``name_users`` gives operator names to newly registering users (the chain directory needs one each)."""
        self.sequencer = sequencer
        self.name_users = name_users
        self.store = store
        self.key = key
        self.policy = policy
        self.signer = ReceiptSigner(key, store)
        self.counters = SubmissionCounters()
        self.started_at = time.time()
        self._seal_now = asyncio.Event()
        self._proven_prefix = GENESIS_HEIGHT
        self._verified: set[int] = set()
        self._reconcile_receipts()

    @property
    def storage(self) -> Storage:
        return self.sequencer.storage

    # ---------------------------------------------------------------- start-up

    def _reconcile_receipts(self) -> None:
        """Give every pending session without a receipt or name (stopped between the commits) its receipt and name."""
        block = self.sequencer.next_block_number
        pending = self.storage.pending_sessions()
        proven = self.storage.pending_proven()
        self.name_users(
            [s.user_id for s in pending if _registers(s)]
            + [p.public_data.user_id for p in proven if p.old_leaf == EMPTY_LEAF]
        )
        waiting = [(submission_id(s), s.user_id, s.read_root) for s in pending] + [
            (proof_submission_id(p.read_root, p.public_data), p.public_data.user_id, p.read_root) for p in proven
        ]
        for submission, user_id, read_root in waiting:
            if self.store.receipt(submission) is None:
                self.store.add_receipt(submission, user_id, block, self._receipt(user_id, read_root, submission, block))

    async def prepare(self) -> None:
        """Before the node serves: queue the receipts a stop left unsigned for the signer, and sign the header of
        every block sealed before the stop, so that after a restart no request sees such a block unsigned."""
        self.signer.resume()
        await sign_new_headers(self.key, self.store, self.storage)

    async def run(self) -> None:
        """The background tasks, after :meth:`prepare`: the receipt signer and the sealing loop (until cancelled)."""
        await asyncio.gather(self.signer.run(), self._seal_loop())

    # ------------------------------------------------------------- submissions

    def _receipt(self, user_id: int, read_root: Digest, submission: str, block: int) -> dict[str, Any]:
        return {
            "version": RECEIPT_VERSION,
            "submission": submission,
            "user_id": user_id,
            "block": block,
            "read_root": digest_hex(read_root),
        }

    async def submit(self, body: bytes) -> dict[str, Any]:
        """Admit one session-proof file, store and sign it; RequestRefusedError (nothing stored) when refused.

        The checks are :func:`~rollup.session_submission.submit_session_proof`'s; the node adds only the
        replay check, before them, so a replayed file is named a replay whatever else it now breaks."""
        try:
            try:
                proven: SessionProofFile | None = SessionProofFile.from_bytes(body)
            except MalformedSessionError:
                proven = None  # submit_session_proof refuses it with its reason
            if proven is not None:
                self._refuse_replay(proof_submission_id(proven.read_root, proven.public_data))
            try:
                receipt = submit_session_proof(self.sequencer, body)
            except SessionRefusedError as exc:
                raise proof_refusal(exc) from exc
        except RequestRefusedError as refusal:
            self.counters.reject(refusal.kind)
            raise
        assert proven is not None  # a file that does not parse is refused above
        submission = proof_submission_id(proven.read_root, proven.public_data)
        registers = receipt.statement.old_root == EMPTY_LEAF
        return await self._accepted(proven.user_id, proven.read_root, submission, registers)

    async def submit_delegated(self, body: bytes) -> dict[str, Any]:
        """Delegated proving: check, store and sign one session holding its user's secret (JSON), which the
        node's prover proves; RequestRefusedError (nothing stored) when it is refused."""
        try:
            session = self._parse(body)
            self._refuse_replay(submission_id(session))
            try:
                require_provable(session)
                self.sequencer.submit(session)
            except RollupError as exc:
                raise refusal_for(exc) from exc
        except RequestRefusedError as refusal:
            self.counters.reject(refusal.kind)
            raise
        return await self._accepted(session.user_id, session.read_root, submission_id(session), _registers(session))

    def _refuse_replay(self, submission: str) -> None:
        if self.store.receipt(submission) is not None:
            raise RequestRefusedError(409, "replayed", f"submission {submission} was already accepted")

    async def _accepted(self, user_id: int, read_root: Digest, submission: str, registers: bool) -> dict[str, Any]:
        """Commit the receipt of a session just committed as pending, name a registering user, sign."""
        block = self.sequencer.next_block_number
        receipt = self._receipt(user_id, read_root, submission, block)
        self.store.add_receipt(submission, user_id, block, receipt)
        if registers:
            self.name_users([user_id])
        self.counters.accepted += 1
        if len(self.sequencer.pending_user_ids) >= self.policy.max_sessions:
            self._seal_now.set()
        return await self.signer.sign(submission, receipt)

    @staticmethod
    def _parse(body: bytes) -> Session:
        """The session in ``body``: strict JSON first (``rollup.strict_input``: no duplicate keys, bounded
        nesting and numbers), so that a hostile body is refused as malformed before anything else reads it."""
        try:
            text = body.decode("utf-8")
            parse_json_text(text, max_depth=SESSION_JSON_DEPTH)
        except (UnicodeDecodeError, json.JSONDecodeError, BadInputError) as exc:
            raise RequestRefusedError(400, "malformed_json", f"the body is not acceptable JSON: {exc}") from exc
        try:
            return session_from_json(text)
        except RollupError as exc:
            raise refusal_for(exc) from exc

    def submission_status(self, submission: str) -> dict[str, Any] | None:
        """pending / included / proven, with the signed receipt (None for an unknown submission)."""
        row = self.store.receipt(submission)
        if row is None:
            return None
        included = row.block <= self.sequencer.state.block_number
        proven = included and row.block <= self.proven_prefix()
        status = "proven" if proven else "included" if included else "pending"
        return {"status": status, "block": row.block, "signed_receipt": row.signed()}

    # ---------------------------------------------------------------- sealing

    async def _seal_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._seal_now.wait(), timeout=self.policy.block_time)
            self._seal_now.clear()
            if self.sequencer.pending_user_ids:
                try:
                    await self.seal()
                except RollupError:  # nothing was committed; the sessions stay pending for the next try
                    log.exception("sealing block %d failed", self.sequencer.next_block_number)

    async def seal(self) -> Block:
        """Finalize the pending sessions as the next block and sign its header."""
        executed = self.sequencer.build_block()
        log.info("block %d sealed: %d sessions", executed.block.number, len(executed.block.public_data))
        await sign_new_headers(self.key, self.store, self.storage)
        return executed.block

    # ------------------------------------------------------------------ reads

    def proven_prefix(self) -> int:
        """The highest n such that blocks 1..n all have block proofs (``GENESIS_HEIGHT``, 0, when block 1 has none)."""
        latest = self.sequencer.state.block_number
        while self._proven_prefix < latest and BLOCK_NODE in self.storage.block_proof_nodes(self._proven_prefix + 1):
            self._proven_prefix += 1
        return self._proven_prefix

    def head(self) -> dict[str, Any]:
        """The latest finalized, proven and chain-proven blocks and the chain's current root."""
        state = self.sequencer.state
        return {
            "finalized": state.block_number,
            "proven": self.proven_prefix(),
            "chain_proven": self.storage.chain_proven_height(),
            "root": digest_hex(state.root),
            "next_block": self.sequencer.next_block_number,
            "pending_sessions": len(self.sequencer.pending_user_ids),
            "sequencer_public_key": self.key.public_key.hex(),
        }

    def require_block(self, number: int) -> Block:
        latest = self.sequencer.state.block_number
        if not GENESIS_HEIGHT < number <= latest:
            raise RequestRefusedError(404, "unknown_block", f"no block {number}: the latest block is {latest}")
        block: Block = self.storage.block(number)
        return block

    def block(self, number: int) -> dict[str, Any]:
        """A block's statement, public data, signed header and proof status."""
        block = self.require_block(number)
        header = self.store.header(number)
        proving = self.store.proving(number)
        proofs = self.storage.block_proofs(number)
        delegated = {session.user_id for session in self.storage.block_sessions(number)}
        return {
            "number": block.number,
            "prev_root": digest_hex(block.prev_root),
            "new_root": digest_hex(block.new_root),
            "data_root": digest_hex(block.data_digest),
            "public_data": [
                public_data_to_json(e)
                | {
                    "new_leaf": digest_hex(e.new_leaf),
                    "proven_by": PROVEN_BY_NODE if e.user_id in delegated else PROVEN_BY_USER,
                }
                for e in block.public_data
            ],
            "header": None if header is None else header.header.to_json(),
            "header_signature": None if header is None else header.signature.hex(),
            "proven": BLOCK_NODE in proofs,
            "statement": None if BLOCK_NODE not in proofs else proven_statement(proofs[BLOCK_NODE]),
            "proof_sizes": {node: len(proof) for node, proof in sorted(proofs.items())},
            "proving_seconds": None if proving is None else proving[0],
            "sealed_at": None if header is None else header.sealed_at,
            "proven_at": None if proving is None else proving[1],
        }

    def verification(self, number: int, vk_file: Path) -> str:
        """``verified`` when block ``number``'s stored proof verifies under the key in ``vk_file`` and extends
        the previous block's root (the light client's check), else why not; verified blocks are remembered."""
        if number in self._verified:
            return "verified"
        block = self.require_block(number)
        proofs = self.storage.block_proofs(number)
        if BLOCK_NODE not in proofs:
            return "not proven yet"
        if not vk_file.is_file():
            return "no verifier key yet"
        try:
            vk = verifier_key_from_bytes(vk_file.read_bytes())
            statement = verify_block(vk, proof_from_bytes(proofs[BLOCK_NODE]), block.prev_root)
        except (BlockRejectedError, FormatError) as exc:
            return f"INVALID: {exc}"
        if (statement.block_number, statement.new_root) != (number, block.new_root):
            return "INVALID: the proof is of another block"
        self._verified.add(number)
        return "verified"

    def block_proof(self, number: int) -> bytes:
        """The block proof (self-contained: its statement is its public inputs)."""
        self.require_block(number)
        proofs = self.storage.block_proofs(number)
        if BLOCK_NODE not in proofs:
            raise RequestRefusedError(404, "not_proven", f"block {number} is not proven yet")
        proof: bytes = proofs[BLOCK_NODE]
        return proof

    def chain_proof(self) -> tuple[int, bytes]:
        """(height, proof) of the latest chain proof: the whole chain from genesis up to that block."""
        height = self.storage.chain_proven_height()
        proof = self.storage.chain_proof(height)
        if proof is None:
            raise RequestRefusedError(404, "not_chain_proven", "the prover has not proven the chain to any block yet")
        return height, proof

    def genesis_root(self) -> str:
        """The root before block 1 (hex), from block 1 or, before it exists, the current (empty) state."""
        if self.sequencer.state.block_number > GENESIS_HEIGHT:
            return digest_hex(self.storage.block(GENESIS_HEIGHT + 1).prev_root)
        return digest_hex(self.sequencer.state.root)
