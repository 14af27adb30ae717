"""The user's side of client-side proving: build and prove one's own session, on one's own machine.

``build_own_session(view, wallet, secret, request)`` builds the session a
:class:`SessionRequest` asks for on the wallet's view of the chain
(:meth:`rollup.wallet_state.WalletState.view`: the chain's public state with
the wallet's own account, whose private state only the wallet has);
``prove_own_session(view, session)`` executes it natively on that view (so a
bad session fails at once with its specific
:class:`~rollup.errors.RollupError`, e.g. a claim of something already
claimed), proves it with the block tree's session circuit (the one the
aggregation whitelist holds) and returns the :class:`SessionProofFile` to hand
to the operator with the state it produces. The secret is a private witness of
that proof and never leaves this function; the file holds the session's public
data (what its block publishes anyway), its read root and the proof.

``verified_root(vk, blocks_dir, genesis_root)`` is what the wallet trusts:
the root after the last of the exported block proofs in ``blocks_dir``, each
verified as a light client from ``genesis_root`` (the genesis root itself when
there is none yet). ``wallet prove --genesis-root`` refuses to prove against a
state whose root is not that one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rollup.block_proving import prove_session_job
from rollup.errors import MalformedSessionError, StaleRootError
from rollup.execution import execute_session
from rollup.session import Session, SessionBuilder
from rollup.session_proof_file import SessionProofFile
from rollup.state import ChainState, Secret, UserTree
from rollup.wallet_state import PendingState, WalletState
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


@dataclass(frozen=True)
class SessionRequest:
    """What the user asks its next session to do."""

    deposit: int | None = None
    """Register with this public deposit."""
    sends: tuple[tuple[int, int, Digest | None], ...] = ()
    """(recipient id, amount, recipient address) triples; a None address is taken from the view, which knows
    it only for a user whose proving is delegated (others' addresses come from their holders)."""
    claim: bool = False
    """Claim every transfer to the wallet it has not claimed yet."""


def build_own_session(view: ChainState, wallet: WalletState, secret: Secret, request: SessionRequest) -> Session:
    """The session ``request`` asks for, on the wallet's ``view`` (MalformedSessionError when it is empty).

    Its claims come before its sends (:func:`rollup.session.in_proving_order`): a send may spend what the session
    claims, and the block tree proves that order cheapest."""
    builder = SessionBuilder(view, wallet.user_id, secret)
    if request.deposit is not None:
        builder.register(request.deposit)
    claims = wallet.claimable() if request.claim else []
    if request.claim and not claims and request.deposit is None and not request.sends:
        raise MalformedSessionError(f"user {wallet.user_id} has nothing to claim after block {wallet.block}")
    for transfer in claims:
        builder.claim(transfer.sender, transfer.index)
    for recipient, value, address in request.sends:
        builder.send(recipient, value, address)
    return builder.build()


@dataclass(frozen=True)
class OwnProof:
    """A session the user proved: the file for the operator, and the state it produces (the wallet's own)."""

    file: SessionProofFile
    account: UserTree

    def pending(self, block: int) -> PendingState:
        """The wallet's pending session for ``block``."""
        return PendingState(block, self.account, self.file.public_data.new_leaf)


def prove_own_session(view: ChainState, session: Session) -> OwnProof:
    """Prove ``session`` (holding its user's secret) on ``view``; the file the operator receives."""
    executed = execute_session(view, session)
    proof = prove_session_job(executed.trace)
    return OwnProof(SessionProofFile(session.read_root, executed.trace.public_data(), proof), executed.tree)
