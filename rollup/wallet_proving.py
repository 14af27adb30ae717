"""The user's side of client-side proving: build and prove one's own session, on one's own machine.

``prove_own_session(state, session)`` executes the session natively against the
finalized state (so a bad session fails at once with its specific
:class:`~rollup.errors.RollupError`, e.g. a claim of something already
claimed), proves it with the block tree's session circuit (the one the
aggregation whitelist holds) and returns the :class:`SessionProofFile` to hand
to the operator. The secret is a private witness of that proof and never
leaves this function: the file holds the key digest, the operations and the
proof only.
"""

from __future__ import annotations

from rollup.block_proving import prove_session_job
from rollup.execution import execute_session
from rollup.session import Session
from rollup.session_proof_file import SessionProofFile
from rollup.state import ChainState, key_digest


def prove_own_session(state: ChainState, session: Session) -> SessionProofFile:
    """Prove ``session`` (holding its user's secret) against ``state``; the file the operator receives."""
    trace = execute_session(state, session).trace
    proof = prove_session_job(trace)
    return SessionProofFile(session.user_id, key_digest(session.secret), session.read_root, session.operations, proof)
