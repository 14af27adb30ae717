"""The sequencer: collects at most one session per user, then finalizes blocks.

Submitting a session executes it against the finalized state at once (so a
bad session is refused with its specific error before it is stored) and
stores it as pending; a session its user proved is stored as its public data
and proof, never executed (:func:`rollup.block.proven_session`). A stored pending session that no longer applies to the
finalized state (left by a build that crashed, then overtaken) is not a reason
to refuse the chain: it is set aside in :attr:`Sequencer.stale_pending` with
its reason, for the caller to drop with a warning. Building a block assembles the pending sessions, writes
the block in one database transaction and only then commits it in memory, so
a failure at any point leaves both the database and the in-memory state at the
previous block with every pending session still pending.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from rollup.block import ExecutedBlock, PendingSession, ProvenSession, assemble_block, commit_block, proven_session
from rollup.errors import DuplicateUserError, RollupError
from rollup.execution import ExecutedSession, execute_session
from rollup.params import DATABASE_FILENAME, DEFAULT_CHAIN_DIR
from rollup.session import Session
from rollup.state import ChainState
from rollup.storage import Storage
from rollup.witness import SessionTrace


class Sequencer:
    """Pending sessions plus the finalized state, backed by a :class:`Storage`."""

    def __init__(self, storage: Storage) -> None:
        """Load the latest finalized state, re-execute the stored pending sessions and re-check the stored
        sessions their users proved (setting aside those that no longer apply)."""
        self.storage = storage
        self.state: ChainState = storage.load_state()
        self._pending: dict[int, PendingSession] = {}
        self.stale_pending: dict[int, str] = {}
        """User id -> why its stored pending session no longer applies (see the module docstring)."""
        for session in storage.pending_sessions():
            try:
                self._pending[session.user_id] = execute_session(self.state, session)
            except RollupError as exc:
                self.stale_pending[session.user_id] = str(exc)
        for stored in storage.pending_proven():
            try:
                self._pending[stored.public_data.user_id] = proven_session(
                    self.state, stored.read_root, stored.old_leaf, stored.public_data, stored.proof
                )
            except RollupError as exc:
                self.stale_pending[stored.public_data.user_id] = str(exc)

    @classmethod
    def open(cls, chain_dir: Path | str = DEFAULT_CHAIN_DIR, *, create: bool = True) -> Sequencer:
        """The sequencer of the chain stored in ``chain_dir/rollup.sqlite`` (created if absent with ``create``)."""
        storage = Storage.open(Path(chain_dir) / DATABASE_FILENAME, create=create)
        try:
            return cls(storage)
        except BaseException:
            storage.close()
            raise

    @classmethod
    def in_memory(cls) -> Sequencer:
        """A sequencer over a throw-away in-memory database."""
        return cls(Storage.open(":memory:"))

    def close(self) -> None:
        """Close the database."""
        self.storage.close()

    def __enter__(self) -> Sequencer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def pending_session(self, user_id: int) -> Session | None:
        """The user's submitted session, if the operator holds it (None too for a session its user proved)."""
        pending = self._pending.get(user_id)
        return pending.session if isinstance(pending, ExecutedSession) else None

    def drop_pending(self, user_id: int) -> None:
        """Withdraw a user's submitted (or stale) session from the next block, in storage too."""
        self.storage.drop_pending(user_id)
        self._pending.pop(user_id, None)
        self.stale_pending.pop(user_id, None)

    @property
    def next_block_number(self) -> int:
        """Number of the block the pending sessions will form."""
        return self.state.block_number + 1

    @property
    def pending_user_ids(self) -> list[int]:
        """Users with a pending session, ascending."""
        return sorted(self._pending)

    def submit(self, session: Session) -> SessionTrace:
        """Validate ``session`` against the finalized state and store it as pending; return its trace."""
        if session.user_id in self._pending:
            raise DuplicateUserError(f"user {session.user_id} already has a session in block {self.next_block_number}")
        executed = execute_session(self.state, session)
        self.storage.add_pending(session)
        self._pending[session.user_id] = executed
        return executed.trace

    def submit_proven(self, proven: ProvenSession) -> None:
        """Keep a session its user proved as pending: its public data and the user's proof.

        The caller (:func:`rollup.session_submission.submit_session_proof`) has verified the proof and
        checked it against the chain (:func:`rollup.block.proven_session`).
        """
        user = proven.user_id
        if user in self._pending:
            raise DuplicateUserError(f"user {user} already has a session in block {self.next_block_number}")
        self.storage.add_pending_proven(proven)
        self._pending[user] = proven

    def build_block(self) -> ExecutedBlock:
        """Finalize the pending sessions as the next block (possibly empty) and return it with its traces."""
        executed = assemble_block(self.state, list(self._pending.values()))
        self.storage.write_block(executed)
        commit_block(self.state, executed)
        self._pending.clear()
        return executed
