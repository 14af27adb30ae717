"""A chain directory as the ``rollup`` command line uses it.

    DIR/rollup.sqlite        the chain (rollup.storage): blocks, state trees, sessions, proofs, user names
    DIR/pending.json         the next block's operations, added one command at a time
    DIR/block.vk             the block verifier key (written when a block is proven)
    DIR/proofs/block-NNNN.proof   exported block proofs (self-contained, with their statement)
    DIR/spilled-proofs/      finished proofs the database could not take (rollup.proof_spill), if any
    DIR/.lock, DIR/.prove.lock   held by a command that changes the chain, and by a prover (rollup.locks)
    DIR/chain.key            the chain key (step verifier key and genesis circuit digest, for rollup-verify)
    DIR/chain.proof          the chain proof of the latest proven height: the whole chain in one proof

    WALLETS/NAME/key.json   the wallet of user NAME (rollup.wallet), outside DIR

Names map to user ids in the database (``names`` table). Chains made before
schema version 2 kept them in ``DIR/users.json``: a command that changes the
chain moves them into the database and renames the file ``users.json.migrated``,
so the database is the only source of truth. The commands of this module prove
on the user's behalf (**delegated proving**): the operator reads the user's key
from its wallet under the wallets root (default: ``DIR-wallets`` beside the
chain directory, never inside it), and ``add_user`` creates a throw-away wallet
for a user that has none. No key is derived from a name.

The next block's operations are kept in ``pending.json`` (a
:class:`rollup.scenario.BlockDraft`) rather than submitted to the sequencer one
by one, because a user's operations in one block must form a single session:
``rollup send A B 10`` twice in a block gives A one session of two sends.
``build_block`` submits the sessions and builds the block; the draft records the
block number and root it was made for, so a draft left behind by a crash after
the block was built is recognised as stale and dropped, never applied twice.
Sessions a build submitted before it crashed are reconciled with the draft
(:mod:`rollup.recovery`).

Opening refuses, and never re-initialises, a database that is missing or
empty beside other chain files, and checks the directory against the database
(:mod:`rollup.chain_integrity`). Files are written atomically and owner-only
(:mod:`rollup.files`).

The module is about 420 lines because :class:`ChainDirectory` is the one
object every command holds; what it delegates (the draft file, balance lines,
integrity checks, recovery, locks, wallets) lives in modules of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from rollup.balances import BalanceRow, balance_rows
from rollup.block import ExecutedBlock
from rollup.chain_integrity import (
    PROOFS_DIR,
    VK_FILE,
    chain_evidence,
    check_exported_proofs,
    load_names,
)
from rollup.draft_file import load_draft, save_draft
from rollup.errors import ChainDirError, EmptyDatabaseError, RollupError, UnknownUserError
from rollup.files import make_private_directory, remove_stale_temporaries
from rollup.locks import LOCK_FILE, acquire
from rollup.operations import Register
from rollup.params import DATABASE_FILENAME, MAX_USERS, SPILLED_PROOFS_DIR
from rollup.recovery import reconcile_submitted, stale_warnings
from rollup.scenario import BlockDraft
from rollup.sequencer import Sequencer
from rollup.state import ChainState, Secret, SentTransfer, UserTree
from rollup.storage import Storage
from rollup.strict_input import find_look_alike, normalize_name
from rollup.wallet import KeyFile, WalletError, key_path, read_key_file, write_key_file
from verifier.chain import GENESIS_HEIGHT
from verifier.hashing import Digest

CHAIN_KEY_FILE = "chain.key"
CHAIN_PROOF_FILE = "chain.proof"

if TYPE_CHECKING:
    from rollup.session_submission import SubmissionReceipt


class UnknownNameError(RollupError):
    """A user name that the chain directory does not know."""


class NothingToBuildError(RollupError):
    """``build_block`` with no pending operation."""


def default_wallets_root(chain_dir: Path) -> Path:
    """DIR-wallets beside the chain directory DIR: the operator's wallets for delegated proving, never inside DIR."""
    return chain_dir.parent / f"{chain_dir.name}-wallets"


def default_name(user_id: int) -> str:
    """``user-ID``: the operator's name of a user nobody named (one registering through a session-proof file)."""
    return f"user-{user_id}"


def proof_filename(number: int) -> str:
    """``block-NNNN.proof``: names sort in block order (what ``rollup-verify --chain`` expects)."""
    return f"block-{number:04d}.proof"


@dataclass(frozen=True)
class ClaimResult:
    claimed: list[SentTransfer]
    rejected: list[tuple[SentTransfer, str]]


class ChainDirectory:
    """The sequencer, the user names and the draft of the next block of one chain directory."""

    def __init__(self, path: Path, sequencer: Sequencer, lock: IO[bytes] | None, wallets: Path | None = None) -> None:
        """Wrap an opened sequencer (use :meth:`open`); with ``lock`` held, repair what a crash left."""
        self.path = path
        self.wallets = wallets if wallets is not None else default_wallets_root(path)
        """The root of the wallets the operator holds for delegated proving (one directory per name)."""
        self.new_wallets: list[Path] = []
        """Throw-away wallets this object created (for delegated proving), in order."""
        self.sequencer = sequencer
        self._lock = lock
        self.warnings: list[str] = []
        if lock is not None:
            self.warnings += self.remove_stale_temporaries()
        check_exported_proofs(path, sequencer.storage, sequencer.state.block_number)
        self.users: dict[str, int] = load_names(
            path, sequencer.storage, sequencer.state.users, lock is not None, self.warnings
        )
        self.draft = self._load_draft()
        if lock is not None:
            self._reconcile_pending()
        else:
            self.warnings += stale_warnings(sequencer, self.name_of)

    # ------------------------------------------------------------------------ opening

    @classmethod
    def exists(cls, path: Path | str) -> bool:
        return (Path(path) / DATABASE_FILENAME).is_file()

    @classmethod
    def open(
        cls, path: Path | str, *, create: bool = False, lock: bool = True, wallets: Path | None = None
    ) -> ChainDirectory:
        """Open the chain in ``path`` (``create``: make it if absent; else ChainDirError when absent).

        ``wallets`` is the root of the delegated-proving wallets (default :func:`default_wallets_root`).

        ``lock`` takes an exclusive lock on the directory for as long as it is open,
        so two commands never change the same chain at once. A database that is
        missing or empty beside other chain files is refused (see the module docstring).
        """
        directory = Path(path)
        evidence = chain_evidence(directory) if directory.is_dir() else []
        listed = ", ".join(str(p) for p in evidence)
        database = directory / DATABASE_FILENAME
        if not cls.exists(directory):
            if evidence:
                raise ChainDirError(
                    f"{database} is missing but {directory} holds {listed}: the database was deleted or moved; "
                    "restore it from a backup (nothing was created)"
                )
            if not create:
                raise ChainDirError(f"no chain in {directory} (run `rollup init --dir {directory}` first)")
            if directory.exists() and not directory.is_dir():
                raise ChainDirError(f"{directory} exists and is not a directory")
            make_private_directory(directory)
        busy = f"another rollup command is using {directory}; try again when it has finished"
        handle = acquire(directory / LOCK_FILE, busy) if lock else None
        try:
            sequencer = Sequencer.open(directory, create=create and not evidence)
        except EmptyDatabaseError as exc:
            if handle is not None:
                handle.close()
            if evidence:
                raise ChainDirError(
                    f"{exc}, but {directory} holds {listed}: the database was truncated or replaced; restore it "
                    "from a backup (refusing to start a new chain beside them)"
                ) from exc
            raise ChainDirError(f"{exc}: run `rollup init --dir {directory}` to start a chain there") from exc
        except BaseException:
            if handle is not None:
                handle.close()
            raise
        try:
            chain = cls(directory, sequencer, handle, wallets)
        except BaseException:
            sequencer.close()
            if handle is not None:
                handle.close()
            raise
        return chain

    def remove_stale_temporaries(self) -> list[str]:
        """Remove the temporary files that killed writers left in the chain's folders (only those of dead
        processes, :mod:`rollup.files`), for a holder of the chain lock or the prover lock; the warnings."""
        folders = (self.path, self.proofs_dir, self.path / SPILLED_PROOFS_DIR)
        return [
            f"removed {stale}, left by a command killed while it wrote the file"
            for folder in folders
            for stale in remove_stale_temporaries(folder)
        ]

    def _reconcile_pending(self) -> None:
        self.warnings += reconcile_submitted(self.sequencer, self.draft.sessions(), self.name_of)

    def close(self) -> None:
        self.sequencer.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> ChainDirectory:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------ accessors

    @property
    def state(self) -> ChainState:
        return self.sequencer.state

    @property
    def storage(self) -> Storage:
        return self.sequencer.storage

    @property
    def latest_block(self) -> int:
        return self.state.block_number

    @property
    def proofs_dir(self) -> Path:
        return self.path / PROOFS_DIR

    @property
    def vk_path(self) -> Path:
        return self.path / VK_FILE

    @property
    def chain_key_path(self) -> Path:
        return self.path / CHAIN_KEY_FILE

    @property
    def chain_proof_path(self) -> Path:
        return self.path / CHAIN_PROOF_FILE

    def proof_path(self, number: int) -> Path:
        return self.proofs_dir / proof_filename(number)

    def require_block(self, number: int) -> None:
        """ChainDirError unless block ``number`` is finalized."""
        latest = self.latest_block
        if not GENESIS_HEIGHT < number <= latest:
            have = "the chain has no blocks yet" if latest == GENESIS_HEIGHT else f"the latest block is {latest}"
            raise ChainDirError(f"no block {number}: {have}")

    def id_of(self, name: str) -> int:
        """The user id of ``name`` (in its canonical form, :func:`rollup.strict_input.normalize_name`)."""
        name = normalize_name(name)
        if name not in self.users:
            known = ", ".join(sorted(self.users)) or "none yet; add one with `rollup user add NAME --balance N`"
            raise UnknownNameError(f"unknown user {name!r} (known: {known})")
        return self.users[name]

    def name_of(self, user_id: int) -> str:
        for name, uid in self.users.items():
            if uid == user_id:
                return name
        return f"user {user_id}"

    def wallet_dir(self, name: str) -> Path:
        """WALLETS/NAME: where the operator keeps ``name``'s wallet for delegated proving."""
        return self.wallets / normalize_name(name)

    def secret_of(self, name: str) -> Secret:
        """``name``'s key from its wallet (delegated proving); WalletError when it has none or it is unusable."""
        name = normalize_name(name)
        key = read_key_file(self.wallet_dir(name))
        if key.name != name:
            raise WalletError(f"{key_path(self.wallet_dir(name))} is the key of {key.name!r}, not of {name!r}")
        return key.secret

    def address_of(self, name: str) -> Digest:
        """``name``'s address: bound by its registration, else its wallet's key digest (a user still registering)."""
        account = self.state.users.get(self.id_of(name))
        if isinstance(account, UserTree):
            return account.key_digest
        return read_key_file(self.wallet_dir(name)).key_digest

    def delegated_key(self, name: str) -> KeyFile:
        """``name``'s key for delegated proving: from its wallet, else a fresh one (see :meth:`keep_key`)."""
        if key_path(self.wallet_dir(name)).exists():
            return KeyFile(name, self.secret_of(name))
        return KeyFile.new(name)

    def keep_key(self, key: KeyFile) -> None:
        """Write ``key`` as a throw-away wallet under the wallets root unless it is there already."""
        directory = self.wallet_dir(key.name)
        if not key_path(directory).exists():
            write_key_file(directory, key)
            self.new_wallets.append(directory)

    # ------------------------------------------------------------------------ names

    def set_users(self, users: dict[str, int]) -> None:
        """Replace the name map (for chains built by other code, e.g. the seed scenario)."""
        self.storage.set_names(users)
        self.users = dict(users)

    # ------------------------------------------------------------------------ the draft (pending.json)

    def _load_draft(self) -> BlockDraft:
        next_block = self.sequencer.next_block_number
        return load_draft(self.path, self.state, next_block, lambda u: self.secret_of(self.name_of(u)), self.warnings)

    def save_draft(self) -> None:
        save_draft(self.path, self.draft, self.sequencer.next_block_number, self.state)

    # ------------------------------------------------------------------------ operations

    def is_registered(self, name: str) -> bool:
        return self.id_of(name) in self.state.users

    def add_user(self, name: str, balance: int) -> int:
        """Reserve an id for ``name`` (in its canonical form, and no look-alike of another name) and add its
        registration (deposit ``balance``) to the next block."""
        name = normalize_name(name)
        look_alike = find_look_alike(name, self.users)
        if look_alike is not None:
            raise RollupError(f"user name {name!r} looks like the existing user {look_alike!r}: choose another")
        user_id = self.users.get(name)
        if user_id is not None and (user_id in self.state.users or user_id in self.draft.user_ids):
            raise RollupError(f"user {name!r} already exists (id {user_id})")
        if user_id is None:
            taken = set(self.users.values()) | set(self.state.users)
            user_id = max(taken, default=0) + 1
            if user_id >= MAX_USERS:
                raise RollupError(f"no user id left (ids are below {MAX_USERS})")
        key = self.delegated_key(name)
        self.draft.register(user_id, key.secret, balance)
        self.keep_key(key)
        if self.users.get(name) != user_id:
            self.set_users({**self.users, name: user_id})
        return user_id

    def submit_proven(self, data: bytes, name: str | None = None) -> SubmissionReceipt:
        """Admit a session-proof file its user made (:func:`rollup.session_submission.submit_session_proof`).

        A user the names table does not know yet (one registering) is named ``name``, default ``user-ID``.
        """
        from rollup.session_submission import submit_session_proof

        if name is not None and name in self.users:
            raise RollupError(f"the name {name!r} is taken (user {self.users[name]})")
        receipt = submit_session_proof(self.sequencer, data)
        if receipt.user_id not in self.users.values():
            self.set_users({**self.users, normalize_name(name or default_name(receipt.user_id)): receipt.user_id})
        return receipt

    def _require_usable(self, name: str) -> int:
        user_id = self.id_of(name)
        registering = any(isinstance(op, Register) for op in self.draft.operations(user_id))
        if user_id not in self.state.users and not registering:
            raise UnknownUserError(
                f"user {name!r} is not registered (add it with `rollup user add {name} --balance N`)"
            )
        return user_id

    def send(self, sender: str, recipient: str, amount: int) -> None:
        """Add a send to the sender's session of the next block (validated; RollupError if invalid)."""
        sender_id = self._require_usable(sender)
        recipient_id = self.id_of(recipient)
        self.draft.send(sender_id, self.secret_of(sender), recipient_id, self.address_of(recipient), amount)

    def claim(self, name: str) -> ClaimResult:
        """Add a claim of every finalized unclaimed transfer to ``name`` (each validated on its own)."""
        user_id = self._require_usable(name)
        claimed: list[SentTransfer] = []
        rejected: list[tuple[SentTransfer, str]] = []
        for transfer in self.draft.claimable(user_id):
            try:
                self.draft.claim(user_id, self.secret_of(name), transfer.sender_id, transfer.record.index)
            except RollupError as exc:
                rejected.append((transfer, str(exc)))
            else:
                claimed.append(transfer)
        return ClaimResult(claimed, rejected)

    def build_block(self) -> ExecutedBlock:
        """Submit the draft's sessions (and any already submitted) and finalize the next block."""
        self._reconcile_pending()
        sessions = self.draft.sessions()
        if not sessions and not self.sequencer.pending_user_ids:
            raise NothingToBuildError(
                f"nothing to put in block {self.sequencer.next_block_number}: no pending operations"
            )
        for session in sessions:
            if self.sequencer.pending_session(session.user_id) != session:  # else submitted before a crash
                self.sequencer.submit(session)
        executed = self.sequencer.build_block()
        self.draft = BlockDraft(self.state)
        self.save_draft()
        return executed

    # ------------------------------------------------------------------------ reading

    def balances(self, state: ChainState | None = None) -> list[BalanceRow]:
        """Every registered user's balance line (after ``state``, default the latest), by user id."""
        return balance_rows(state or self.state, self.name_of)


@contextmanager
def fresh_chain(path: Path | str) -> Iterator[ChainDirectory]:
    """Create a chain in ``path``, which must not already hold a chain with blocks or pending operations."""
    directory = Path(path)
    if ChainDirectory.exists(directory):
        with ChainDirectory.open(directory) as existing:
            busy = (
                existing.latest_block > GENESIS_HEIGHT
                or not existing.draft.is_empty()
                or existing.sequencer.pending_user_ids
            )
        if busy:
            raise ChainDirError(f"{directory} already holds a chain; choose another --dir (this command starts afresh)")
    chain = ChainDirectory.open(directory, create=True)
    try:
        yield chain
    finally:
        chain.close()
