"""The user's side of client-side proving: build and prove one's own session, on one's own machine.

``prove_own_session(state, session)`` executes the session natively against the
finalized state (so a bad session fails at once with its specific
:class:`~rollup.errors.RollupError`, e.g. a claim of something already
claimed), proves it with the block tree's session circuit (the one the
aggregation whitelist holds) and returns the :class:`SessionProofFile` to hand
to the operator. The secret is a private witness of that proof and never
leaves this function: the file holds the key digest, the operations and the
proof only.

``verified_root(vk, blocks_dir, genesis_root)`` is what the wallet trusts:
the root after the last of the exported block proofs in ``blocks_dir``, each
verified as a light client from ``genesis_root`` (the genesis root itself when
there is none yet). ``wallet prove --genesis-root`` refuses to prove against a
state whose root is not that one.
"""

from __future__ import annotations

from pathlib import Path

from rollup.block_proving import prove_session_job
from rollup.errors import StaleRootError
from rollup.execution import execute_session
from rollup.session import Session
from rollup.session_proof_file import SessionProofFile
from rollup.state import ChainState, key_digest
from verifier.hashing import Digest
from verifier.light_client import MAX_KEY_BYTES, PROOF_SUFFIX, digest_hex, read_bounded, verify_chain
from verifier.serialization import proof_from_bytes, proof_size, verifier_key_from_bytes


def verified_root(vk_file: Path, blocks_dir: Path, genesis_root: Digest) -> Digest:
    """The root after every exported block proof in ``blocks_dir`` (in name order), verified from
    ``genesis_root`` under the block key in ``vk_file``; ``genesis_root`` when there is no proof yet.

    FormatError or BlockRejectedError (both ValueErrors) when a file is unreadable or a proof is rejected.
    """
    files = sorted(blocks_dir.glob(f"*{PROOF_SUFFIX}")) if blocks_dir.is_dir() else []
    if not files:
        return genesis_root
    vk = verifier_key_from_bytes(read_bounded(str(vk_file), "verifier key", MAX_KEY_BYTES))
    limit = proof_size(vk.common)
    proofs = (proof_from_bytes(read_bounded(str(file), "proof", limit)) for file in files)
    return verify_chain(vk, proofs, genesis_root).new_root


def require_verified(state: ChainState, root: Digest) -> None:
    """StaleRootError unless ``state`` is the state at the verified ``root``."""
    if state.root != root:
        raise StaleRootError(
            f"the chain's finalized root {digest_hex(state.root)} is not the latest root verified from the "
            f"exported block proofs, {digest_hex(root)}: wait until the latest block is proven and exported"
        )


def prove_own_session(state: ChainState, session: Session) -> SessionProofFile:
    """Prove ``session`` (holding its user's secret) against ``state``; the file the operator receives."""
    trace = execute_session(state, session).trace
    proof = prove_session_job(trace)
    return SessionProofFile(session.user_id, key_digest(session.secret), session.read_root, session.operations, proof)
