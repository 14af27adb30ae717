"""The rollup's exceptions: one class per rule, all under :class:`RollupError`.

Whatever raises one of these has not changed any state: sessions run on
copies, blocks are committed in memory only after their database transaction.
"""

from __future__ import annotations


class RollupError(Exception):
    """Base class of every error the rollup reports for bad input or a broken rule."""


class MalformedSessionError(RollupError):
    """A session or one of its operations is structurally invalid (empty, misplaced registration, bad secret)."""


class SessionTooLargeError(MalformedSessionError):
    """A session has more operations than the largest session circuit of their kinds holds (or a claim was
    given to a circuit of send-only slots)."""


class OutOfRangeError(RollupError):
    """An amount, balance, user id or outbox index lies outside its fixed range."""


class OverdraftError(RollupError):
    """A send debits more than the sender's balance."""


class DoubleClaimError(RollupError):
    """A transfer is claimed although the claimant's claimed set already holds it."""


class NotRecipientError(RollupError):
    """A transfer is claimed by someone other than its recipient."""


class UnknownTransferError(RollupError):
    """A claim names an outbox slot that is empty in the finalized state."""


class StaleRootError(RollupError):
    """A session reads a global root that is not the previous finalized one."""


class NonceError(RollupError):
    """An operation's nonce is not the user's current nonce plus one."""


class AuthorizationError(RollupError):
    """The session's secret does not hash to the key digest in the user's leaf."""


class DuplicateUserError(RollupError):
    """A user appears in more than one session of the same block."""


class UnknownUserError(RollupError):
    """The user id has an empty leaf (not registered)."""


class WrongOldLeafError(RollupError):
    """A session's old leaf is not its user's finalized leaf."""


class OutboxMismatchError(RollupError):
    """A session's published appends do not extend its user's finalized outbox to the published outbox root."""


class PrivateStateError(RollupError):
    """A user's private state (balance, nonce, claimed set) is asked of a state that holds only its public data."""


class AlreadyRegisteredError(RollupError):
    """A registration targets a leaf that is not empty."""


class OutboxFullError(RollupError):
    """A send would append past the outbox's fixed capacity."""


class InvalidWitnessError(RollupError):
    """A trace's Merkle path or state transition does not match the values it claims."""


class StorageError(RollupError):
    """The chain database is missing, corrupt or inconsistent."""


class SchemaVersionError(StorageError):
    """The chain database was written with a schema version this code does not know."""


class StorageEnvironmentError(StorageError):
    """The chain's files cannot be read or written because of their environment (full disk, read-only
    file system, permissions, a lock held by another process); nothing stored is damaged."""


class DatabaseBusyError(StorageEnvironmentError):
    """Another process held the database lock for longer than the bounded wait."""


class EmptyDatabaseError(StorageError):
    """The database file holds no tables (new, or truncated to nothing)."""


class ChainDirError(RollupError):
    """The chain directory is missing, busy, or holds unusable files."""


class BadInputError(RollupError):
    """A number, name or file given by the operator breaks a parsing rule (:mod:`rollup.strict_input`)."""
