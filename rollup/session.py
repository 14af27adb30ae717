"""Sessions: one user's ordered operations for one block, and how an owner builds them.

A session is pure data: ``(user_id, read_root, secret, operations)``. The
read root must be the previous block's finalized global root; the secret
authorizes every operation (its digest is in the user's leaf). A user proving
its own session keeps the session and its secret on its machine: only the
session's public data and its proof leave it (:mod:`rollup.session_proof_file`);
the operator holds sessions only for the users whose proving is delegated to it.

Sessions are stored as JSON (see :func:`session_to_json`); parsing validates
the shape and types of untrusted input before anything uses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from rollup.errors import MalformedSessionError
from rollup.operations import Claim, Operation, Register, Send
from rollup.params import MIXED_ANY_SLOTS, MIXED_SESSION_SLOTS, SEND_SESSION_SLOTS, SESSION_SLOTS
from rollup.slot_layout import BLOCK_TREE_LAYOUTS
from rollup.state import ChainState, Secret, UserTree
from verifier.hashing import Digest

_OPERATION_KINDS: dict[str, type[Register] | type[Send] | type[Claim]] = {
    "register": Register,
    "send": Send,
    "claim": Claim,
}


def slots_taken(operations: Iterable[Operation]) -> list[bool]:
    """The slots a session's operations take, in order, as whether each is a claim: sends and claims take a slot
    each, a registration none."""
    return [isinstance(op, Claim) for op in operations if not isinstance(op, Register)]


def session_fits(operations: Iterable[Operation]) -> bool:
    """Whether some session circuit of the block tree proves a session of ``operations``: a layout of
    ``BLOCK_TREE_LAYOUTS`` holds its slots (``SlotLayout.holds``: at most its slots, every claim among its slots
    of kind ANY). The rule of the chain directory's draft and of the node's submission check."""
    claims = slots_taken(operations)
    return any(layout.holds(claims) for layout in BLOCK_TREE_LAYOUTS)


def in_proving_order(operations: Sequence[Operation]) -> tuple[Operation, ...]:
    """The same operations with the registration first, then the claims, then the sends, each kind in its given
    order, and the nonces of the sends and claims renumbered in that order from the first one's.

    The session's outcome does not depend on this order: the balance changes by the same sum, the sends append
    the same records in the same order to the outbox, and the claimed set gets the same members (a claim reads
    the previous block's outboxes, never a send of its own session). Claims first is the order the block tree
    proves cheapest (the mixed full session takes claims only among its first slots, ``SlotLayout.holds``), and
    it lets a send spend what the same session claims. It is not always valid where the given order is: a claim
    first can lift a balance past 2^MAX_AMOUNT_BITS that a send before it would have kept in range, so callers
    execute it and keep the given order when it fails (:meth:`rollup.scenario.BlockDraft.add`).
    """
    numbered = [op for op in operations if not isinstance(op, Register)]
    if not numbered:
        return tuple(operations)
    first_nonce = numbered[0].nonce
    ordered = [op for op in numbered if isinstance(op, Claim)] + [op for op in numbered if isinstance(op, Send)]
    registration = tuple(op for op in operations if isinstance(op, Register))
    return registration + tuple(replace(op, nonce=first_nonce + i) for i, op in enumerate(ordered))


def session_capacity_text() -> str:
    """The session capacity in words, for the error that refuses an over-full session."""
    return (
        f"{SEND_SESSION_SLOTS} sends, {MIXED_SESSION_SLOTS} sends and claims with every claim among the first "
        f"{MIXED_ANY_SLOTS}, or {SESSION_SLOTS} sends and claims"
    )


@dataclass(frozen=True)
class Session:
    """One user's operations for one block, reading ``read_root``."""

    user_id: int
    read_root: Digest
    secret: Secret
    operations: tuple[Operation, ...]


def recipient_address(state: ChainState, recipient: int) -> Digest:
    """The address registration bound to ``recipient``: its key digest, when ``state`` holds its full state
    (UnknownUserError when unregistered, PrivateStateError for a user proving its own sessions).

    The address of a user proving its own sessions is behind its opaque digest, and a transfer to an id that
    is not registered yet has none: such a transfer needs the address from its holder (its wallet's key
    digest, which ``rollup wallet new`` prints), never from the chain.
    """
    return state.tree(recipient).key_digest


def next_nonce(state: ChainState, user_id: int, operations: Sequence[Operation]) -> int:
    """The nonce the next send or claim of ``user_id``'s session carries.

    One more than the last numbered operation of ``operations``, or than the
    user's finalized nonce (0 for a user not registered yet) when there is none.
    """
    for op in reversed(operations):
        if not isinstance(op, Register):
            return op.nonce + 1
    account = state.users.get(user_id)
    return (account.nonce if isinstance(account, UserTree) else 0) + 1


class SessionBuilder:
    """Builds a session for ``user_id`` against a finalized state, numbering nonces automatically.

    Example: ``SessionBuilder(state, 7, secret).send(3, 25).claim(4, 0).build()``.
    """

    def __init__(self, state: ChainState, user_id: int, secret: Sequence[int]) -> None:
        """Start an empty session reading ``state.root``."""
        self._state = state
        self._user_id = user_id
        self._secret: Secret = tuple(secret)
        self._operations: list[Operation] = []

    def register(self, deposit: int) -> SessionBuilder:
        """Append a registration with a public ``deposit``."""
        self._operations.append(Register(deposit))
        return self

    def send(self, recipient: int, amount: int, address: Digest | None = None) -> SessionBuilder:
        """Append a send of ``amount`` to ``recipient`` at ``address`` (default: its registered address)."""
        if address is None:
            address = recipient_address(self._state, recipient)
        self._operations.append(Send(recipient, address, amount, self._next_nonce()))
        return self

    def claim(self, sender_id: int, outbox_index: int) -> SessionBuilder:
        """Append a claim of ``sender_id``'s record ``outbox_index``."""
        self._operations.append(Claim(sender_id, outbox_index, self._next_nonce()))
        return self

    def build(self) -> Session:
        """The session (raises MalformedSessionError when it has no operation)."""
        if not self._operations:
            raise MalformedSessionError(f"the session of user {self._user_id} has no operations")
        return Session(self._user_id, self._state.root, self._secret, tuple(self._operations))

    def _next_nonce(self) -> int:
        return next_nonce(self._state, self._user_id, self._operations)


def claim_sessions(state: ChainState, secrets: Mapping[int, Secret]) -> list[Session]:
    """For each user in ``secrets`` with unclaimed finalized transfers, one session claiming all of them.

    One pass over the in-flight transfers; sessions come out by recipient id.
    """
    builders: dict[int, SessionBuilder] = {}
    for transfer in state.unclaimed_transfers():
        recipient = transfer.record.recipient
        if recipient in secrets:
            if recipient not in builders:
                builders[recipient] = SessionBuilder(state, recipient, secrets[recipient])
            builders[recipient].claim(transfer.sender_id, transfer.record.index)
    return [builders[recipient].build() for recipient in sorted(builders)]


def session_to_json(session: Session) -> str:
    """Canonical JSON of a session (sorted keys, no whitespace)."""
    document: dict[str, Any] = {
        "user_id": session.user_id,
        "read_root": list(session.read_root),
        "secret": list(session.secret),
        "operations": [operation_to_json(op) for op in session.operations],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def session_from_json(text: str) -> Session:
    """Parse :func:`session_to_json` output; MalformedSessionError on any deviation."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedSessionError(f"session is not valid JSON: {exc}") from exc
    _require_keys(document, {"user_id", "read_root", "secret", "operations"}, "session")
    operations = document["operations"]
    if not isinstance(operations, list):
        raise MalformedSessionError("operations must be a list")
    return Session(
        user_id=_int(document["user_id"], "user_id"),
        read_root=_digest(document["read_root"], "read_root"),
        secret=tuple(_int_list(document["secret"], "secret")),
        operations=tuple(operation_from_json(item) for item in operations),
    )


def operation_to_json(op: Operation) -> dict[str, Any]:
    """``{"op": "send", "recipient": ..., "amount": ..., "nonce": ...}`` (and likewise for the other kinds)."""
    kind = next(name for name, cls in _OPERATION_KINDS.items() if isinstance(op, cls))
    return {"op": kind, **asdict(op)}


def operation_from_json(item: Any) -> Operation:
    """Parse :func:`operation_to_json` output; MalformedSessionError on any deviation."""
    if not isinstance(item, dict) or item.get("op") not in _OPERATION_KINDS:
        raise MalformedSessionError(f"unknown operation {item!r}")
    cls = _OPERATION_KINDS[item["op"]]
    names = {f.name for f in fields(cls)}
    _require_keys(item, names | {"op"}, f"{item['op']} operation")
    values: dict[str, Any] = {
        name: _digest(item[name], name) if name in _DIGEST_FIELDS else _int(item[name], name) for name in names
    }
    return cls(**values)


def _require_keys(document: Any, expected: set[str], what: str) -> None:
    if not isinstance(document, dict) or set(document) != expected:
        raise MalformedSessionError(f"{what} must be an object with exactly the keys {sorted(expected)}")


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedSessionError(f"{what} must be an integer, got {value!r}")
    return value


_DIGEST_FIELDS = frozenset({"address", "read_root"})
"""Fields holding a digest (4 field elements) rather than one integer."""


def _digest(value: Any, what: str) -> Digest:
    elements = _int_list(value, what)
    if len(elements) != 4:
        raise MalformedSessionError(f"{what} has {len(elements)} elements, a digest has 4")
    return (elements[0], elements[1], elements[2], elements[3])


def _int_list(value: Any, what: str) -> list[int]:
    if not isinstance(value, list):
        raise MalformedSessionError(f"{what} must be a list of integers")
    return [_int(item, what) for item in value]
