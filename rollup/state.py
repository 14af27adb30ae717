"""User state, global leaves and the finalized chain state.

Formulas (all hashes are :func:`verifier.hashing.hash_elements`, Poseidon2):

    key_digest(s)        = hash_elements(s)                          s = secret, SECRET_SIZE elements
    opaque(u)            = hash_elements([*key_digest, balance, nonce, outbox_len,
                                          *claimed_root])                 11 elements
    leaf(u)              = hash_elements([*outbox_root, *opaque(u)])      8 elements
    leaf of an unregistered id = EMPTY_LEAF = (0, 0, 0, 0)
    claim_key(s, j)      = s * 2^OUTBOX_DEPTH + j                      (sender s, outbox index j)
    claimed set          : sparse tree of depth CLAIMED_DEPTH, leaf CLAIMED_LEAF at claim_key
                           for every claimed transfer, EMPTY_LEAF elsewhere
    global root          = root of the sparse tree of depth GLOBAL_TREE_DEPTH with leaf(u) at id u

The leaf splits the user's state into the part others need and the rest: a
claim of a record in u's outbox opens leaf(u) with u's outbox root and the
opaque digest alone, never with u's balance, nonce, key or claimed set, and the
block data publishes exactly those two digests per session
(:mod:`rollup.block_data`).

Messages of different kinds have different lengths, and hash_elements binds the
length in its capacity, so a digest of one kind cannot be reinterpreted as
another; tree positions are fixed by depth, so leaves and inner nodes never mix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rollup.errors import PrivateStateError, UnknownUserError
from rollup.outbox import Outbox, TransferRecord
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, OUTBOX_DEPTH
from rollup.rules import require_user_id
from rollup.smt import DEFAULT_DIGESTS, SparseMerkleTree
from verifier.chain import GENESIS_HEIGHT
from verifier.hashing import Digest, hash_elements

Secret = tuple[int, ...]
"""A user's secret key: SECRET_SIZE field elements."""

CLAIMED_LEAF: Digest = (1, 0, 0, 0)
"""Leaf of a claimed transfer in a claimed set (anything but EMPTY_LEAF would do)."""


def key_digest(secret: Sequence[int]) -> Digest:
    """hash_elements(secret): what the user's leaf commits to instead of the secret."""
    return hash_elements(list(secret))


def leaf_digest(outbox_root: Digest, opaque: Digest) -> Digest:
    """hash_elements([*outbox_root, *opaque]): a registered user's global leaf from its two public parts."""
    return hash_elements([*outbox_root, *opaque])


def claim_key(sender_id: int, outbox_index: int) -> int:
    """sender_id * 2^OUTBOX_DEPTH + outbox_index: the claimed-set index of a transfer (injective)."""
    return (sender_id << OUTBOX_DEPTH) | outbox_index


@dataclass(frozen=True)
class UserState:
    """The fields of a user's leaf besides its key digest: the outbox root in the clear, the rest in the
    opaque digest."""

    balance: int
    nonce: int
    outbox_len: int
    outbox_root: Digest
    claimed_root: Digest

    @classmethod
    def initial(cls, deposit: int) -> UserState:
        """The state right after registration: the deposit, nonce 0, empty outbox and claimed set."""
        return cls(deposit, 0, 0, DEFAULT_DIGESTS[OUTBOX_DEPTH], DEFAULT_DIGESTS[CLAIMED_DEPTH])

    def opaque_digest(self, key: Digest) -> Digest:
        """hash_elements([*key, balance, nonce, outbox_len, *claimed_root]): the leaf's private part."""
        return hash_elements([*key, self.balance, self.nonce, self.outbox_len, *self.claimed_root])

    def leaf(self, key: Digest) -> Digest:
        """leaf_digest(outbox_root, opaque_digest(key)): the global leaf of a user holding ``key`` in this state."""
        return leaf_digest(self.outbox_root, self.opaque_digest(key))


class Account(ABC):
    """The public side of a registered user: its outbox and the opaque digest of the rest of its leaf.

    A claim of one of the user's records needs exactly these (:class:`rollup.witness.SenderProof`), and
    ``leaf() = leaf_digest(outbox.root, opaque_digest())``. Two kinds of account hold it: the full
    :class:`UserTree` (whoever knows the user's state: its wallet, or the operator for a user whose proving
    is delegated to it) and the :class:`PublicUser` (what the published block data alone says).
    """

    __slots__ = ()
    outbox: Outbox

    @abstractmethod
    def opaque_digest(self) -> Digest:
        """The leaf's private part, H(key digest, balance, nonce, outbox length, claimed root)."""

    def leaf(self) -> Digest:
        """leaf_digest(outbox root, opaque digest): the user's global leaf."""
        return leaf_digest(self.outbox.root, self.opaque_digest())


class PublicUser(Account):
    """A user known only from published data: its outbox (records and tree) and its leaf's opaque digest.

    Its balance, nonce, key and claimed set are behind the opaque digest: only their holder knows them.
    """

    __slots__ = ("_opaque", "outbox")

    def __init__(self, outbox: Outbox, opaque_digest: Digest) -> None:
        """A user's public parts."""
        self.outbox = outbox
        self._opaque = opaque_digest

    def opaque_digest(self) -> Digest:
        """The published opaque digest."""
        return self._opaque


class UserTree(Account):
    """One user's full state: key digest, balance, nonce, outbox and claimed set (mutable; copy before changing)."""

    __slots__ = ("balance", "claimed", "key_digest", "nonce", "outbox")

    def __init__(self, key_digest: Digest, balance: int, nonce: int, outbox: Outbox, claimed: SparseMerkleTree) -> None:
        """A user tree from its parts."""
        self.key_digest = key_digest
        self.balance = balance
        self.nonce = nonce
        self.outbox = outbox
        self.claimed = claimed

    @classmethod
    def registered(cls, key: Digest, deposit: int) -> UserTree:
        """A freshly registered user holding ``deposit``."""
        return cls(key, deposit, 0, Outbox(), SparseMerkleTree(CLAIMED_DEPTH))

    def state(self) -> UserState:
        """The committed fields (roots are cached by the trees, so this does not hash)."""
        return UserState(self.balance, self.nonce, self.outbox.length, self.outbox.root, self.claimed.root)

    def opaque_digest(self) -> Digest:
        """The leaf's private part: UserState.opaque_digest under this user's key."""
        return self.state().opaque_digest(self.key_digest)

    def has_claimed(self, sender_id: int, outbox_index: int) -> bool:
        """True when the transfer (sender_id, outbox_index) is in the claimed set."""
        return self.claimed.contains(claim_key(sender_id, outbox_index))

    def copy(self) -> UserTree:
        """An independent copy (no rehashing)."""
        return UserTree(self.key_digest, self.balance, self.nonce, self.outbox.copy(), self.claimed.copy())


@dataclass(frozen=True)
class SentTransfer:
    """A transfer record together with its sender."""

    sender_id: int
    record: TransferRecord


class ChainState:
    """The finalized state after block ``block_number`` (``GENESIS_HEIGHT`` = 0 before block 1).

    ``users`` holds each registered user's account: a :class:`UserTree` where the holder of this state knows
    the user's private state (the operator, for users whose proving is delegated to it), else a
    :class:`PublicUser`. Balances and claimed sets are known only for the first kind.

    Invariant: ``global_tree.leaf(u) == users[u].leaf()`` for every registered u,
    and every other leaf is EMPTY_LEAF.
    """

    __slots__ = ("block_number", "global_tree", "users")

    def __init__(
        self,
        block_number: int = GENESIS_HEIGHT,
        global_tree: SparseMerkleTree | None = None,
        users: dict[int, Account] | None = None,
    ) -> None:
        """The empty chain, or a state rebuilt from storage."""
        self.block_number = block_number
        self.global_tree = global_tree if global_tree is not None else SparseMerkleTree(GLOBAL_TREE_DEPTH)
        self.users: dict[int, Account] = users if users is not None else {}

    @property
    def root(self) -> Digest:
        """The finalized global root."""
        return self.global_tree.root

    def user(self, user_id: int) -> Account:
        """The account of a registered user; UnknownUserError when the leaf is empty."""
        require_user_id(user_id, "user")
        account = self.users.get(user_id)
        if account is None:
            raise UnknownUserError(f"user {user_id} is not registered (empty leaf)")
        return account

    def tree(self, user_id: int) -> UserTree:
        """The full state of a registered user; PrivateStateError when only its public data is known."""
        account = self.user(user_id)
        if not isinstance(account, UserTree):
            raise PrivateStateError(
                f"user {user_id} proves its own sessions: this state holds only its public data (outbox and "
                "opaque digest), never its balance, nonce or claimed set"
            )
        return account

    def trees(self) -> dict[int, UserTree]:
        """The users whose full state is known, by id."""
        return {user: account for user, account in self.users.items() if isinstance(account, UserTree)}

    def leaf(self, user_id: int) -> Digest:
        """The global leaf of ``user_id`` (EMPTY_LEAF when unregistered)."""
        return self.global_tree.leaf(user_id)

    def inconsistencies(self) -> Iterator[str]:
        """Describe every violation of the invariant above or of the trees' hashing (nothing when sound)."""
        if not self.global_tree.is_consistent():
            yield "the global tree's nodes do not hash to their parents"
        stored_leaves = {user for user, _ in self.global_tree.leaves()}
        for user in sorted(stored_leaves ^ set(self.users)):
            yield f"user {user} has a leaf without a user tree, or a user tree without a leaf"
        for user, account in sorted(self.users.items()):
            if not account.outbox.is_consistent():
                yield f"user {user}'s outbox records and outbox tree do not match"
            elif isinstance(account, UserTree) and not account.claimed.is_consistent():
                yield f"user {user}'s claimed set does not hash consistently"
            elif account.leaf() != self.global_tree.leaf(user):
                yield f"user {user}'s state does not hash to its global leaf"

    def sent_transfers(self) -> Iterator[SentTransfer]:
        """Every record in every outbox, by sender id then index."""
        for sender_id in sorted(self.users):
            for record in self.users[sender_id].outbox.records:
                yield SentTransfer(sender_id, record)

    def is_claimed(self, transfer: SentTransfer) -> bool | None:
        """True when the recipient's claimed set holds the transfer; None when that set is private (a recipient
        proving its own sessions)."""
        recipient = self.users.get(transfer.record.recipient)
        if recipient is None:
            return False
        if not isinstance(recipient, UserTree):
            return None
        return recipient.has_claimed(transfer.sender_id, transfer.record.index)

    def unclaimed_transfers(self) -> Iterator[SentTransfer]:
        """Every transfer known not to be claimed yet (sent but in flight; a private recipient's are unknown)."""
        return (transfer for transfer in self.sent_transfers() if self.is_claimed(transfer) is False)

    def known_supply(self) -> int:
        """The supply as far as this state knows it: the balances of the users whose full state it holds, plus
        the amounts sent to them (or to unregistered ids) and not claimed yet. It is the whole supply only
        when no user proves its own sessions; the balances behind public users' opaque digests are private."""
        in_flight = sum(t.record.amount for t in self.unclaimed_transfers())
        return sum(tree.balance for tree in self.trees().values()) + in_flight
