"""What a wallet needs to build its next session, derived from the finalized state (published data).

* :func:`account_view`: a user's leaf, its public parts (outbox records and
  opaque digest) and global-tree authentication path under the current root,
  and the transfers addressed to it not known to be claimed: enough for a
  wallet to check that the public parts hash to the leaf and the path to a
  root it verified (:mod:`rollup.node.wallet_view`); a claimant fetches its
  sender's account the same way, whose outbox gives the record and its outbox
  path. The node knows a user's key digest (its address), balance, nonce and
  claimed set only when it proves the user's sessions (delegated proving): only
  then does the view hold them (``private`` is false), else they are null;
* :func:`outbox_view`: one record of a sender's outbox with its outbox path,
  and the sender's leaf and global path, which a claim of that record proves.

Digests are hex (``verifier.light_client.digest_hex``); paths are bottom-up.
"""

from __future__ import annotations

from typing import Any

from rollup.errors import RollupError
from rollup.node.errors import RequestRefusedError
from rollup.outbox import TransferRecord
from rollup.state import ChainState, UserTree
from verifier.light_client import digest_hex


def _hex_path(path: tuple[tuple[int, int, int, int], ...]) -> list[str]:
    return [digest_hex(d) for d in path]


def _record_view(record: TransferRecord) -> dict[str, Any]:
    return {"recipient": record.recipient, "address": digest_hex(record.address), "amount": record.amount}


def _user_id(state: ChainState, user_id: int) -> None:
    if not 0 <= user_id < 1 << state.global_tree.depth:
        raise RequestRefusedError(
            404, "unknown_user", f"user ids are below {1 << state.global_tree.depth}, got {user_id}"
        )


def account_view(state: ChainState, user_id: int) -> dict[str, Any]:
    """The account of ``user_id`` after the latest finalized block (registered or not)."""
    _user_id(state, user_id)
    account = state.users.get(user_id)
    tree = account if isinstance(account, UserTree) else None
    incoming = [
        {"sender_id": t.sender_id, "outbox_index": t.record.index, "amount": t.record.amount}
        for t in state.sent_transfers()
        if t.record.recipient == user_id and state.is_claimed(t) is not True
    ]
    return {
        "user_id": user_id,
        "block": state.block_number,
        "root": digest_hex(state.root),
        "registered": account is not None,
        "private": account is not None and tree is None,
        "address": None if tree is None else digest_hex(tree.key_digest),
        "leaf": digest_hex(state.leaf(user_id)),
        "opaque_digest": None if account is None else digest_hex(account.opaque_digest()),
        "balance": None if tree is None else tree.balance,
        "nonce": None if tree is None else tree.nonce,
        "outbox_length": None if account is None else account.outbox.length,
        "outbox": [] if account is None else [_record_view(record) for record in account.outbox.records],
        "claimed": None if tree is None else sorted(index for index, _ in tree.claimed.leaves()),
        "global_path": _hex_path(state.global_tree.siblings(user_id)),
        "incoming": incoming,
    }


def outbox_view(state: ChainState, sender_id: int, index: int) -> dict[str, Any]:
    """Record ``index`` of ``sender_id``'s outbox with every path a claim of it needs."""
    _user_id(state, sender_id)
    tree = state.users.get(sender_id)
    if tree is None:
        raise RequestRefusedError(404, "unknown_user", f"user {sender_id} is not registered")
    try:
        record = tree.outbox.record(index)
    except RollupError as exc:
        raise RequestRefusedError(404, "unknown_transfer", str(exc)) from exc
    return {
        "sender_id": sender_id,
        "outbox_index": index,
        "recipient": record.recipient,
        "amount": record.amount,
        "record_digest": digest_hex(record.digest()),
        "outbox_root": digest_hex(tree.outbox.root),
        "outbox_path": _hex_path(tree.outbox.tree.siblings(index)),
        "sender_leaf": digest_hex(state.leaf(sender_id)),
        "sender_global_path": _hex_path(state.global_tree.siblings(sender_id)),
        "root": digest_hex(state.root),
        "block": state.block_number,
    }
