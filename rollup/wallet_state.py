"""A wallet's own state: the user's private state, kept beside its key and updated from published block data.

    DIR/state.json   {"version": 1, "user_id": u, "block": b,
                      "account": null | {"balance": x, "nonce": n,
                                         "outbox": [{"recipient": r, "address": HEX, "amount": a}, ...],
                                         "claimed": [[sender, index], ...]},
                      "incoming": [[sender, index, amount], ...],
                      "pending": null | {"block": n, "account": {...}, "new_leaf": HEX}}      mode 0600

``account`` is the user's state after block ``b`` (null before its
registration is in a block): with the key digest of ``key.json`` it is the
whole :class:`~rollup.state.UserTree`, whose leaf is the user's global leaf.
Nobody else has it: a user proving its own sessions publishes only the leaf's
two public parts, so the operator never learns the balance, nonce or claimed
set behind the opaque digest. Losing this file loses them (keep it with
``key.json``). ``incoming`` lists the transfers addressed to the wallet
(recipient id and address) found in the published outbox appends; ``pending``
is the session the wallet proved last and has not yet seen in a block: the
block it targets, the state it produces and its new leaf.

**Sync** (:meth:`WalletState.sync`) reads the published data of the blocks
after ``b``, in order. Block ``n`` of the pending session confirms it when
it holds the user's entry with the pending new leaf (the pending state becomes
the account), and drops it when it holds no entry of the user (the operator
did not include it: prove again); any other entry of the user is an error
(another session under this id than the one this wallet proved). Every block
adds the records addressed to the wallet to ``incoming``.

The file is written atomically with mode 0600 (:func:`rollup.files.write_atomic`) and refused, like the key
file, when others may read or write it, when its version is not :data:`WALLET_STATE_VERSION`, or when its
shape is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollup.block_data import BlockData
from rollup.files import FileWriteError, read_owner_only_text, write_atomic
from rollup.outbox import Outbox, TransferRecord
from rollup.params import AMOUNT_LIMIT, CLAIMED_DEPTH, MAX_USERS, OUTBOX_CAPACITY
from rollup.smt import EMPTY_LEAF, SparseMerkleTree
from rollup.state import CLAIMED_LEAF, ChainState, UserTree, claim_key
from rollup.wallet import WalletError
from verifier.chain import GENESIS_HEIGHT
from verifier.field import P
from verifier.hashing import Digest
from verifier.light_client import digest_hex, parse_digest_hex

WALLET_STATE_VERSION: int = 1
STATE_FILENAME: str = "state.json"
_KEYS = {"version", "user_id", "block", "account", "incoming", "pending"}


@dataclass(frozen=True)
class Incoming:
    """A transfer addressed to the wallet: record ``index`` of user ``sender``'s outbox, of ``amount``."""

    sender: int
    index: int
    amount: int


@dataclass(frozen=True)
class PendingState:
    """The session the wallet proved for block ``block``: the state it produces and its new leaf."""

    block: int
    account: UserTree
    new_leaf: Digest


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: the blocks it read, and whether it confirmed or dropped the pending session."""

    blocks: int
    confirmed: int | None = None
    """The block that included the pending session."""
    dropped: int | None = None
    """The block that did not include it."""


class WalletSyncError(WalletError):
    """Published block data that does not fit the wallet's state (the message says which block and why)."""


@dataclass
class WalletState:
    """One user's own state as its wallet keeps it (see the module docstring)."""

    user_id: int
    block: int = GENESIS_HEIGHT
    account: UserTree | None = None
    incoming: list[Incoming] = field(default_factory=list)
    pending: PendingState | None = None

    @property
    def leaf(self) -> Digest:
        """The user's global leaf after ``block`` as the wallet knows it (EMPTY_LEAF before registration)."""
        return EMPTY_LEAF if self.account is None else self.account.leaf()

    def claimable(self) -> list[Incoming]:
        """The incoming transfers not claimed yet (all of them before registration)."""
        account = self.account
        return [t for t in self.incoming if account is None or not account.has_claimed(t.sender, t.index)]

    def sync(self, blocks: Iterable[BlockData], key_digest: Digest) -> SyncReport:
        """Apply the published data of the blocks after ``block``, in order (see the module docstring);
        WalletSyncError, with nothing applied of the offending block, when one does not fit."""
        report = SyncReport(0)
        for data in blocks:
            if data.number <= self.block:
                continue
            if data.number != self.block + 1:
                raise WalletSyncError(f"the published data of block {self.block + 1} is missing (got {data.number})")
            entry = next((e for e in data.sessions if e.user_id == self.user_id), None)
            pending = self.pending
            if pending is not None and pending.block == data.number:
                if entry is None:
                    self.pending, report = None, SyncReport(report.blocks, report.confirmed, data.number)
                elif entry.new_leaf == pending.new_leaf:
                    self.account, self.pending = pending.account, None
                    report = SyncReport(report.blocks, data.number, report.dropped)
                else:
                    raise WalletSyncError(
                        f"block {data.number} holds a session of user {self.user_id} that is not the one this "
                        "wallet proved: another wallet holds this key, or the wallet's state is not this user's"
                    )
            elif entry is not None:
                raise WalletSyncError(
                    f"block {data.number} holds a session of user {self.user_id} this wallet did not prove: "
                    "another wallet holds this key, or the user id is not this wallet's"
                )
            for published in data.sessions:
                self.incoming += [
                    Incoming(published.user_id, r.index, r.amount)
                    for r in published.appends
                    if r.recipient == self.user_id and r.address == key_digest
                ]
            self.block = data.number
            report = SyncReport(report.blocks + 1, report.confirmed, report.dropped)
        return report

    def view(self, public: ChainState) -> ChainState:
        """The state a session of this wallet executes on: ``public`` (the chain's public state after
        ``block``) with the wallet's own account in place of what the chain knows of it.

        WalletSyncError unless ``public`` is at the wallet's block and holds the wallet's leaf.
        """
        if public.block_number != self.block:
            raise WalletSyncError(
                f"the wallet is synced to block {self.block} but the chain's state is after block "
                f"{public.block_number}: the published data of the blocks in between is missing"
            )
        if public.leaf(self.user_id) != self.leaf:
            raise WalletSyncError(
                f"user {self.user_id}'s leaf on the chain is not the one this wallet's state hashes to: the state "
                "file is not this user's, or it is damaged"
            )
        users = dict(public.users)
        if self.account is None:
            users.pop(self.user_id, None)
        else:
            users[self.user_id] = self.account
        return ChainState(public.block_number, public.global_tree, users)

    # ------------------------------------------------------------------ file

    def to_json(self) -> str:
        """The state file's text."""
        pending = self.pending
        document = {
            "version": WALLET_STATE_VERSION,
            "user_id": self.user_id,
            "block": self.block,
            "account": None if self.account is None else _account_to_json(self.account),
            "incoming": [[t.sender, t.index, t.amount] for t in self.incoming],
            "pending": None
            if pending is None
            else {
                "block": pending.block,
                "account": _account_to_json(pending.account),
                "new_leaf": digest_hex(pending.new_leaf),
            },
        }
        return json.dumps(document, indent=1, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str, key_digest: Digest, where: str) -> WalletState:
        """Parse :meth:`to_json` output for the key ``key_digest``; WalletError naming ``where`` on any deviation."""
        try:
            document: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WalletError(f"{where} is not valid JSON: {exc.msg}") from exc
        if isinstance(document, dict) and document.get("version", WALLET_STATE_VERSION) != WALLET_STATE_VERSION:
            raise WalletError(
                f"{where} has wallet state version {document['version']!r}; this program reads version "
                f"{WALLET_STATE_VERSION}"
            )
        if not isinstance(document, dict) or set(document) != _KEYS:
            raise WalletError(f"{where} is not a wallet state file (expected the keys {sorted(_KEYS)})")
        try:
            pending = document["pending"]
            state = WalletState(
                _bounded(document["user_id"], MAX_USERS),
                _bounded(document["block"], P),
                None if document["account"] is None else _account_from_json(document["account"], key_digest),
                [Incoming(*_ints(item, (MAX_USERS, OUTBOX_CAPACITY, AMOUNT_LIMIT))) for item in document["incoming"]],
                None
                if pending is None
                else PendingState(
                    _bounded(pending["block"], P),
                    _account_from_json(pending["account"], key_digest),
                    parse_digest_hex(pending["new_leaf"]),
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WalletError(f"{where} is damaged: {exc}") from exc
        if state.pending is not None and state.pending.account.leaf() != state.pending.new_leaf:
            raise WalletError(f"{where} is damaged: the pending state does not hash to its new leaf")
        return state


def _account_to_json(tree: UserTree) -> dict[str, Any]:
    return {
        "balance": tree.balance,
        "nonce": tree.nonce,
        "outbox": [
            {"recipient": r.recipient, "address": digest_hex(r.address), "amount": r.amount}
            for r in tree.outbox.records
        ],
        "claimed": [[key >> _OUTBOX_BITS, key & _OUTBOX_MASK] for key, _ in sorted(tree.claimed.leaves())],
    }


_OUTBOX_BITS = OUTBOX_CAPACITY.bit_length() - 1
_OUTBOX_MASK = OUTBOX_CAPACITY - 1


def _account_from_json(document: Any, key_digest: Digest) -> UserTree:
    if not isinstance(document, dict) or set(document) != {"balance", "nonce", "outbox", "claimed"}:
        raise ValueError("an account is an object with the keys balance, nonce, outbox, claimed")
    records = [
        TransferRecord(
            _bounded(r["recipient"], MAX_USERS), parse_digest_hex(r["address"]), _bounded(r["amount"], AMOUNT_LIMIT), j
        )
        for j, r in enumerate(document["outbox"])
    ]
    claimed = SparseMerkleTree(CLAIMED_DEPTH)
    keys = [claim_key(*_ints(pair, (MAX_USERS, OUTBOX_CAPACITY))) for pair in document["claimed"]]
    claimed.set_leaves(dict.fromkeys(keys, CLAIMED_LEAF))
    balance, nonce = _bounded(document["balance"], AMOUNT_LIMIT), _bounded(document["nonce"], P)
    return UserTree(key_digest, balance, nonce, Outbox(records), claimed)


def _bounded(value: Any, limit: int) -> int:
    if type(value) is not int or not 0 <= value < limit:
        raise ValueError(f"expected an integer in [0, {limit}), got {value!r}")
    return value


def _ints(value: Any, limits: tuple[int, ...]) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) != len(limits):
        raise ValueError(f"expected a list of {len(limits)} integers, got {value!r}")
    return tuple(_bounded(v, limit) for v, limit in zip(value, limits, strict=True))


def state_path(wallet_dir: Path | str) -> Path:
    """DIR/state.json."""
    return Path(wallet_dir) / STATE_FILENAME


def read_wallet_state(wallet_dir: Path | str, key_digest: Digest) -> WalletState | None:
    """The wallet's state (None when it has none yet); WalletError when readable by others, of another
    version or malformed."""
    path = state_path(wallet_dir)
    try:
        text = read_owner_only_text(path, "a wallet state file", WalletError)
    except FileNotFoundError:
        return None
    return WalletState.from_json(text, key_digest, str(path))


def write_wallet_state(wallet_dir: Path | str, state: WalletState) -> None:
    """Replace the wallet's state file atomically (mode 0600); WalletError when it cannot be written."""
    try:
        write_atomic(state_path(wallet_dir), state.to_json().encode())
    except FileWriteError as exc:
        raise WalletError(str(exc)) from exc
