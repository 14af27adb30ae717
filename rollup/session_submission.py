"""The operator's admission of a session its user proved, from public data only: verify, check against the
chain, keep as pending.

``submit_session_proof(sequencer, data)`` takes the bytes of a session-proof
file (:mod:`rollup.session_proof_file`: the session's public data entry, its
read root and proof) and either returns a :class:`SubmissionReceipt` or raises
:class:`SessionRefusedError` with a typed :class:`RefusalReason`; a refusal
changes nothing. The checks, in order:

1. the file parses and its proof deserializes                    (MALFORMED)
2. the proof verifies under the session verifier key of the block tree, the
   one the aggregation whitelist holds, and carries the tree's whitelist root;
   a proof for any other circuit fails here                       (INVALID_PROOF)
3. the user has no session pending for the next block yet         (DUPLICATE)
4. its statement is the level-0 node at the file's user id         (STATEMENT_MISMATCH)
5. it read the latest finalized root                               (STALE_ROOT)
6. its old leaf is that user's leaf under that root                (WRONG_OLD_LEAF)
7. the published appends extend that user's finalized outbox, at its next
   slots, to the published outbox root                              (OUTBOX_MISMATCH)
8. the statement's new leaf is leaf_digest(outbox_root, opaque_digest) and its
   data digest is the entry's digest                                 (STATEMENT_MISMATCH)

Nothing is executed and nothing secret is needed: the proof is the
authorization and the rules are in-circuit, so the operator learns only what
the block publishes anyway (the user id, deposit, outbox appends and the new
leaf's two public parts), never the user's balance, nonce, key or claimed set.
Check 7 is what lets it keep the user's outbox, so claims against that user
can still be built from the chain; after the block the user is a
:class:`~rollup.state.PublicUser` of the operator's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rollup.block import proven_session
from rollup.block_plan import NODE_STATEMENT_LEN, SESSION_LEVEL, NodeStatement
from rollup.block_proving import rollup_circuits
from rollup.errors import MalformedSessionError, OutboxMismatchError, RollupError
from rollup.sequencer import Sequencer
from rollup.session_proof_file import SessionProofFile
from verifier.errors import VerificationError
from verifier.hashing import Digest
from verifier.serialization import proof_from_bytes


class RefusalReason(Enum):
    """Why the operator refused a session proof."""

    MALFORMED = "malformed"
    INVALID_PROOF = "invalid proof"
    DUPLICATE = "duplicate"
    STATEMENT_MISMATCH = "statement mismatch"
    STALE_ROOT = "stale root"
    WRONG_OLD_LEAF = "wrong old leaf"
    OUTBOX_MISMATCH = "outbox mismatch"


class SessionRefusedError(RollupError):
    """A session proof the operator refused; ``reason`` says which check failed, the message how."""

    def __init__(self, reason: RefusalReason, message: str) -> None:
        """A refusal for ``reason``."""
        super().__init__(f"session proof refused ({reason.value}): {message}")
        self.reason = reason


@dataclass(frozen=True)
class SubmissionReceipt:
    """An accepted session proof: whose, for which block, and the statement it proved."""

    user_id: int
    block_number: int
    statement: NodeStatement

    @property
    def new_leaf(self) -> Digest:
        """The user's leaf after the block."""
        return self.statement.new_root


def _verified_statement(submitted: SessionProofFile) -> NodeStatement:
    try:
        proof = proof_from_bytes(submitted.proof)
    except ValueError as exc:
        raise SessionRefusedError(RefusalReason.MALFORMED, f"the proof does not deserialize: {exc}") from exc
    circuits = rollup_circuits()
    try:
        statement = circuits.verify_session(proof)
    except (VerificationError, ValueError) as exc:
        raise SessionRefusedError(
            RefusalReason.INVALID_PROOF, f"it does not verify under the whitelisted session key: {exc}"
        ) from exc
    if tuple(proof.public_inputs[NODE_STATEMENT_LEN:]) != tuple(circuits.blocks.whitelist.root):
        raise SessionRefusedError(RefusalReason.INVALID_PROOF, "it carries another whitelist root")
    return statement


def submit_session_proof(sequencer: Sequencer, data: bytes) -> SubmissionReceipt:
    """Admit the session-proof file ``data`` into the next block of ``sequencer``'s chain (see the module doc)."""
    try:
        submitted = SessionProofFile.from_bytes(data)
    except MalformedSessionError as exc:
        raise SessionRefusedError(RefusalReason.MALFORMED, str(exc)) from exc
    statement = _verified_statement(submitted)
    user, state = submitted.user_id, sequencer.state
    if user in sequencer.pending_user_ids:
        raise SessionRefusedError(
            RefusalReason.DUPLICATE, f"user {user} already has a session in block {sequencer.next_block_number}"
        )
    if statement.level != SESSION_LEVEL or statement.position != user:
        raise SessionRefusedError(RefusalReason.STATEMENT_MISMATCH, f"the proof is not about user {user}'s session")
    if statement.read_root != state.root or submitted.read_root != state.root:
        raise SessionRefusedError(
            RefusalReason.STALE_ROOT,
            f"it reads another root than the finalized root after block {state.block_number}: prove it again "
            "against the latest block",
        )
    if statement.old_root != state.leaf(user):
        raise SessionRefusedError(
            RefusalReason.WRONG_OLD_LEAF, f"its old leaf is not user {user}'s leaf under the finalized root"
        )
    public = submitted.public_data
    try:
        proven = proven_session(state, statement.read_root, statement.old_root, public, submitted.proof)
    except OutboxMismatchError as exc:
        raise SessionRefusedError(RefusalReason.OUTBOX_MISMATCH, str(exc)) from exc
    if (statement.new_root, statement.data_root) != (public.new_leaf, public.digest()):
        raise SessionRefusedError(
            RefusalReason.STATEMENT_MISMATCH, "the public data in the file is not the data the proof is about"
        )
    sequencer.submit_proven(proven)
    return SubmissionReceipt(user, sequencer.next_block_number, statement)
