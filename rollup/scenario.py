"""Scripted chains for ``rollup run`` and op-by-op validation of a block's sessions.

Scenario format (JSON)::

    {"users": {"Sam": 100, "Jack": 100},
     "blocks": [[{"send": {"from": "Sam", "to": "Jack", "amount": 50}}],
                [{"claim": {"by": "Jack"}}]]}

Users are registered first, in one block, with their balance as deposit; then
each inner list of ``blocks`` is one block. The ops of one user in a block form
that user's session (its claims first where that order is valid: :meth:`BlockDraft.add`).
``{"claim": {"by": B}}`` claims every finalized,
unclaimed transfer addressed to B. :func:`load_scenario` reads the file under the
rules of :mod:`rollup.strict_input` (at most ``MAX_SCENARIO_BYTES``, nesting at
most ``MAX_SCENARIO_DEPTH`` deep, no duplicate keys, no huge numbers);
:func:`parse_scenario` checks the *shape* (types, names in their canonical
form and none a look-alike of another, known names, amounts in range) and
raises :class:`ScenarioError` naming the offending place; whether an op is valid at its point in the session (no
overdraft, something to claim...) is decided by :class:`BlockDraft` when the
chain runs.

:class:`BlockDraft` accumulates the next block's operations user by user.
Every new operation is validated by building the user's candidate session
(all its accepted operations plus the new one) and executing it natively
against the finalized state with :func:`rollup.execution.execute_session`:
exactly the rules the sequencer and the session circuit enforce. A rejected
operation raises its specific :class:`~rollup.errors.RollupError` and leaves
the draft unchanged, so the rest of the session and of the block proceed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.errors import BadInputError, MalformedSessionError, RollupError
from rollup.execution import execute_session
from rollup.operations import Claim, Operation, Register, Send
from rollup.params import AMOUNT_LIMIT, MAX_AMOUNT_BITS, MAX_USERS
from rollup.session import (
    Session,
    in_proving_order,
    next_nonce,
    operation_from_json,
    operation_to_json,
    session_capacity_text,
    session_fits,
    slots_taken,
)
from rollup.state import ChainState, Secret, SentTransfer
from rollup.strict_input import find_look_alike, load_json_file, normalize_name
from verifier.hashing import Digest

MAX_SCENARIO_BYTES = 16 << 20
"""The largest scenario file read (far above any scripted chain; the file is not read past it)."""
MAX_SCENARIO_DEPTH = 8
"""Nesting of lists and objects in a scenario file (the format needs 5: top, blocks, block, op, op body)."""


class ScenarioError(BadInputError):
    """A scenario file is unreadable or malformed; the message names the place."""


class SessionFullError(MalformedSessionError):
    """A user's session for this block already holds the maximum number of operations."""


# ----------------------------------------------------------------------------- the scenario format


@dataclass(frozen=True)
class ScenarioSend:
    """``{"send": {"from": sender, "to": recipient, "amount": amount}}``."""

    sender: str
    recipient: str
    amount: int

    def describe(self) -> str:
        return f"send {self.sender} -> {self.recipient} {self.amount}"


@dataclass(frozen=True)
class ScenarioClaim:
    """``{"claim": {"by": name}}``: claim every finalized unclaimed transfer addressed to ``name``."""

    by: str

    def describe(self) -> str:
        return f"claim by {self.by}"


ScenarioOp = ScenarioSend | ScenarioClaim


@dataclass(frozen=True)
class Scenario:
    """Users with their starting balances (in order) and the blocks of operations."""

    users: dict[str, int]
    blocks: list[list[ScenarioOp]]


def validate_amount(value: object, where: str) -> int:
    """An integer in [0, 2^48): amounts, balances and deposits."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScenarioError(f"{where} must be an integer, got {value!r}")
    if value < 0:
        raise ScenarioError(f"{where} is negative ({value})")
    if value >= AMOUNT_LIMIT:
        raise ScenarioError(f"{where} {value} is too large (amounts are below 2^{MAX_AMOUNT_BITS})")
    return value


def _object(value: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be an object with the keys {sorted(keys)}, got {value!r}")
    missing, extra = keys - set(value), set(value) - keys
    if missing:
        raise ScenarioError(f"{where} lacks {', '.join(map(repr, sorted(missing)))}")
    if extra:
        raise ScenarioError(f"{where} has unknown keys {', '.join(map(repr, sorted(extra)))}")
    return value


def _name(value: object, where: str) -> str:
    """A user name in its canonical form (:func:`rollup.strict_input.normalize_name`), else ScenarioError."""
    try:
        return normalize_name(value, where)
    except BadInputError as exc:
        raise ScenarioError(str(exc)) from exc


def _known(value: object, users: Mapping[str, int], where: str) -> str:
    name = _name(value, where)
    if name not in users:
        raise ScenarioError(f'{where}: unknown user {name!r} (not in "users")')
    return name


def _op(value: Any, users: Mapping[str, int], where: str) -> ScenarioOp:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("send", "claim"):
        raise ScenarioError(f'{where} must be {{"send": {{...}}}} or {{"claim": {{...}}}}, got {value!r}')
    if "send" in value:
        body = _object(value["send"], {"from", "to", "amount"}, f"{where}.send")
        return ScenarioSend(
            _known(body["from"], users, f"{where}.send.from"),
            _known(body["to"], users, f"{where}.send.to"),
            validate_amount(body["amount"], f"{where}.send.amount"),
        )
    body = _object(value["claim"], {"by"}, f"{where}.claim")
    return ScenarioClaim(_known(body["by"], users, f"{where}.claim.by"))


def parse_scenario(document: Any) -> Scenario:
    """Check a decoded scenario document; ScenarioError naming the first problem."""
    top = _object(document, {"users", "blocks"}, "the scenario")
    users_value = top["users"]
    if not isinstance(users_value, dict) or not users_value:
        raise ScenarioError('"users" must be a non-empty object {"NAME": BALANCE, ...}')
    if len(users_value) >= MAX_USERS:
        raise ScenarioError(f"too many users ({len(users_value)}; at most {MAX_USERS - 1})")
    users: dict[str, int] = {}
    for given, balance in users_value.items():
        name = _name(given, "user name")
        look_alike = find_look_alike(name, users) or (name if name in users else None)
        if look_alike is not None:
            raise ScenarioError(f"users: {given!r} is {look_alike!r} again, or looks like it")
        users[name] = validate_amount(balance, f"users.{given}")
    blocks_value = top["blocks"]
    if not isinstance(blocks_value, list):
        raise ScenarioError('"blocks" must be a list of blocks (each a list of operations)')
    blocks: list[list[ScenarioOp]] = []
    for i, block in enumerate(blocks_value):
        if not isinstance(block, list):
            raise ScenarioError(f"blocks[{i}] must be a list of operations, got {block!r}")
        blocks.append([_op(op, users, f"blocks[{i}][{j}]") for j, op in enumerate(block)])
    return Scenario(users, blocks)


def load_scenario(path: Path | str) -> Scenario:
    """Read and parse a scenario file; ScenarioError for an unreadable, oversized or malformed file."""
    document = load_json_file(
        Path(path), "scenario file", max_bytes=MAX_SCENARIO_BYTES, max_depth=MAX_SCENARIO_DEPTH, error=ScenarioError
    )
    try:
        return parse_scenario(document)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


# ----------------------------------------------------------------------------- the next block, op by op


class BlockDraft:
    """The operations of the next block, per user, each validated when added."""

    def __init__(self, state: ChainState) -> None:
        self.state = state
        self._ops: dict[int, list[Operation]] = {}
        self._secrets: dict[int, Secret] = {}

    @property
    def user_ids(self) -> list[int]:
        """Users with at least one operation, ascending."""
        return sorted(self._ops)

    def operations(self, user_id: int) -> list[Operation]:
        """The accepted operations of ``user_id`` (a copy)."""
        return list(self._ops.get(user_id, []))

    def is_empty(self) -> bool:
        return not self._ops

    def next_nonce(self, user_id: int) -> int:
        """The nonce of the user's next send or claim in this draft."""
        return next_nonce(self.state, user_id, self._ops.get(user_id, []))

    def register(self, user_id: int, secret: Secret, deposit: int) -> None:
        """Add a registration with ``deposit`` (see :meth:`add`)."""
        self.add(user_id, secret, Register(deposit))

    def send(self, user_id: int, secret: Secret, recipient: int, address: Digest, amount: int) -> None:
        """Add a send of ``amount`` to ``recipient`` at ``address`` with the next nonce (see :meth:`add`)."""
        self.add(user_id, secret, Send(recipient, address, amount, self.next_nonce(user_id)))

    def claim(self, user_id: int, secret: Secret, sender_id: int, outbox_index: int) -> None:
        """Add a claim of ``sender_id``'s record ``outbox_index`` with the next nonce (see :meth:`add`)."""
        self.add(user_id, secret, Claim(sender_id, outbox_index, self.next_nonce(user_id)))

    def add(self, user_id: int, secret: Secret, op: Operation) -> None:
        """Add ``op`` to the user's session if the session stays valid; else raise its RollupError.

        The session is kept in proving order (claims before sends, :func:`rollup.session.in_proving_order`)
        whenever that order is valid, else in the order given: the outcome is the same, and the block tree
        proves a session cheapest with its claims first.
        """
        if user_id in self._secrets and tuple(secret) != self._secrets[user_id]:
            raise MalformedSessionError(f"user {user_id}'s operations in this block use different secrets")
        given = (*self._ops.get(user_id, []), op)
        reordered = in_proving_order(given)
        try:
            self._ops[user_id] = list(self._execute(user_id, secret, reordered))
        except RollupError:
            if reordered == given:
                raise
            self._ops[user_id] = list(self._execute(user_id, secret, given))
        self._secrets[user_id] = tuple(secret)

    def _execute(self, user_id: int, secret: Secret, ops: tuple[Operation, ...]) -> tuple[Operation, ...]:
        """``ops`` when some session circuit holds them and they execute on the finalized state; else their
        RollupError (SessionFullError when no circuit holds them)."""
        if not session_fits(ops):
            raise SessionFullError(
                f"user {user_id}'s session cannot take operation {len(slots_taken(ops))}: one block proves at most "
                f"{session_capacity_text()} for one user"
            )
        execute_session(self.state, Session(user_id, self.state.root, tuple(secret), ops))
        return ops

    def pending_claims(self, user_id: int) -> set[tuple[int, int]]:
        """(sender, index) of the claims already in the user's draft session."""
        return {(o.sender_id, o.outbox_index) for o in self._ops.get(user_id, []) if isinstance(o, Claim)}

    def claimable(self, user_id: int) -> list[SentTransfer]:
        """Finalized unclaimed transfers addressed to ``user_id`` that the draft does not claim yet."""
        taken = self.pending_claims(user_id)
        return [
            t
            for t in self.state.unclaimed_transfers()
            if t.record.recipient == user_id and (t.sender_id, t.record.index) not in taken
        ]

    def sessions(self) -> list[Session]:
        """One session per user, by user id."""
        return [Session(u, self.state.root, self._secrets[u], tuple(self._ops[u])) for u in self.user_ids]

    # ------------------------------------------------------------------------ persistence

    def to_json(self) -> dict[str, Any]:
        """The operations as plain JSON (no secrets), in the session file's operation format."""
        return {str(u): [operation_to_json(op) for op in self._ops[u]] for u in self.user_ids}

    @staticmethod
    def ops_from_json(document: Any) -> dict[int, list[Operation]]:
        """Inverse of :meth:`to_json` (shape only; add them with :meth:`add` to validate them).

        ValueError or MalformedSessionError on a bad shape.
        """
        if not isinstance(document, dict):
            raise ValueError("sessions must be an object")
        result: dict[int, list[Operation]] = {}
        for key, ops in document.items():
            if not isinstance(key, str) or not key.isdigit() or not isinstance(ops, list):
                raise ValueError(f"bad session entry {key!r}")
            result[int(key)] = [operation_from_json(op) for op in ops]
        return result
