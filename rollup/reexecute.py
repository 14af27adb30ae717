"""The re-execution baseline: what a full node without proofs does to check a block.

Given the finalized state before block n and the block's sessions, re-run
every session (all rules, all tree updates) and recompute R_n. Its cost grows
with the number of operations (a tree update of depth OUTBOX_DEPTH or
CLAIMED_DEPTH per operation and GLOBAL_TREE_DEPTH per session); a light client
checking one block proof must beat it. Sessions their users proved cannot be
re-executed by anyone else (their operations stay with their users): their
published entries are taken as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rollup.block import replay_block
from rollup.session import Session
from rollup.state import ChainState
from rollup.storage import Storage
from rollup.witness import SessionPublicData
from verifier.hashing import Digest


def reexecute_block(
    state_before: ChainState, sessions: Sequence[Session], published: Sequence[SessionPublicData] = ()
) -> Digest:
    """The global root after applying ``sessions`` to ``state_before`` (which is not modified), with the
    ``published`` entries of the sessions their users proved (:func:`rollup.block.replay_block`)."""
    return replay_block(state_before, sessions, published).new_root


@dataclass(frozen=True)
class ReexecutionReport:
    """A stored block's root next to the root recomputed by re-execution."""

    number: int
    stored_root: Digest
    recomputed_root: Digest

    @property
    def matches(self) -> bool:
        """True when re-execution reproduces the stored root."""
        return self.stored_root == self.recomputed_root


def reexecute_stored_block(storage: Storage, number: int) -> ReexecutionReport:
    """Load the state before block ``number`` and its sessions from ``storage`` and re-execute it."""
    state_before = storage.load_state(number - 1)
    sessions = storage.block_sessions(number)
    block = storage.block(number)
    return ReexecutionReport(number, block.new_root, reexecute_block(state_before, sessions, block.public_data))
