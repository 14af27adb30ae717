"""A wallet's view of the chain, fetched from a node and trusted only as far as a chain proof it verified.

The wallet trusts a chain key and a genesis root, nothing the node says:

1. :func:`verified_chain_head` fetches the node's latest chain proof and
   verifies it from the genesis root (``verifier.chain.verify_chain_proof``):
   the proven height h and root R are what the wallet trusts;
2. :func:`verified_account` fetches a user's account (``GET /v1/accounts/U``),
   rebuilds its public parts from it (outbox records and opaque digest; the
   whole tree for a user whose proving the node holds: key digest, balance,
   nonce, claimed set; :mod:`rollup.node.wallet_data`), and requires that its
   leaf (``EMPTY_LEAF`` for an unregistered id) climbs the served global path
   to R (``verifier.merkle.compute_root_from_path``); the Merkle tree is
   binding, so a served account that passes is the user's account under R;
3. :func:`partial_state` puts the verified accounts (the user's own, each
   sender it claims from, each recipient whose address it sends to) into a
   :class:`~rollup.state.ChainState` whose global tree holds only their
   leaves and paths: exactly the nodes a session's execution reads. The
   wallet puts its own state in place of its own account
   (:meth:`rollup.wallet_state.WalletState.view`), so
   ``rollup.wallet_proving.prove_own_session`` proves on it as on the full state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollup.errors import RollupError
from rollup.node.client import NodeClient
from rollup.outbox import Outbox, TransferRecord
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH
from rollup.smt import EMPTY_LEAF, NodeKey, SparseMerkleTree
from rollup.state import CLAIMED_LEAF, Account, ChainState, PublicUser, UserTree
from verifier.chain import GENESIS_HEIGHT, ChainKey, ChainStatement, genesis_statement, verify_chain_proof
from verifier.hashing import Digest, compress
from verifier.light_client import digest_hex, parse_digest_hex
from verifier.merkle import compute_root_from_path
from verifier.serialization import FormatError, proof_from_bytes


class UntrustedNodeError(RollupError):
    """The node served something that does not check against the verified chain (the message says what)."""


@dataclass(frozen=True)
class VerifiedAccount:
    """A user's state under a verified root: its tree (None when unregistered), leaf and global path."""

    user_id: int
    tree: Account | None
    leaf: Digest
    path: tuple[Digest, ...]


def verified_chain_head(client: NodeClient, key: ChainKey, genesis_root: Digest) -> ChainStatement:
    """The statement of the node's latest chain proof, verified from ``genesis_root`` under ``key``; the genesis
    statement while the node has no block (nothing to prove: a session reading the genesis root is refused as
    stale if the node lied)."""
    if client.head()["finalized"] == GENESIS_HEIGHT:
        return genesis_statement(genesis_root)
    height, data = client.chain_proof()
    try:
        statement = verify_chain_proof(key, proof_from_bytes(data), genesis_root)
    except (FormatError, ValueError) as exc:  # ChainError and WeakKeyError are ValueErrors
        raise UntrustedNodeError(f"the node's chain proof does not verify: {exc}") from exc
    if statement.height != height:
        raise UntrustedNodeError(f"the node calls its chain proof of height {statement.height} height {height}")
    return statement


def _digest(text: Any, what: str) -> Digest:
    try:
        return parse_digest_hex(str(text))
    except ValueError as exc:
        raise UntrustedNodeError(f"the node's {what} is not a digest: {exc}") from exc


def _tree(view: Mapping[str, Any]) -> Account | None:
    """The account an account view describes (None for an unregistered id): the user's whole tree when the node
    holds it (delegated proving), else its public parts; UntrustedNodeError if malformed."""
    if not view["registered"]:
        return None
    try:
        records = [
            TransferRecord(int(r["recipient"]), _digest(r["address"], "record address"), int(r["amount"]), index)
            for index, r in enumerate(view["outbox"])
        ]
        if view["private"]:
            return PublicUser(Outbox(records), _digest(view["opaque_digest"], "opaque digest"))
        claimed = SparseMerkleTree(CLAIMED_DEPTH)
        claimed.set_leaves(dict.fromkeys((int(k) for k in view["claimed"]), CLAIMED_LEAF))
        return UserTree(
            _digest(view["address"], "address"), int(view["balance"]), int(view["nonce"]), Outbox(records), claimed
        )
    except (KeyError, TypeError, ValueError) as exc:  # OutOfRangeError is a ValueError
        raise UntrustedNodeError(f"the node's account view is malformed: {exc}") from exc


def verified_account(client: NodeClient, user_id: int, root: Digest) -> VerifiedAccount:
    """User ``user_id``'s account from the node, checked to be its state under the verified ``root``."""
    view = client.account(user_id)
    tree = _tree(view)
    leaf = EMPTY_LEAF if tree is None else tree.leaf()
    path = tuple(_digest(d, "global path") for d in view["global_path"])
    if len(path) != GLOBAL_TREE_DEPTH or compute_root_from_path(leaf, user_id, path) != root:
        raise UntrustedNodeError(
            f"the node's account of user {user_id} does not hash to the verified root {digest_hex(root)}: "
            "it is not that user's state in the proven chain"
        )
    return VerifiedAccount(user_id, tree, leaf, path)


def _path_nodes(account: VerifiedAccount) -> dict[NodeKey, Digest]:
    """The leaf, its siblings and its ancestors as global-tree nodes."""
    nodes = {(0, account.user_id): account.leaf}
    node, position = account.leaf, account.user_id
    for level, sibling in enumerate(account.path):
        nodes[(level, position ^ 1)] = sibling
        node = compress(node, sibling) if position % 2 == 0 else compress(sibling, node)
        position >>= 1
        nodes[(level + 1, position)] = node
    return nodes


def partial_state(height: int, accounts: Sequence[VerifiedAccount]) -> ChainState:
    """The state after block ``height`` as far as ``accounts`` (all verified under one root) show it."""
    nodes: dict[NodeKey, Digest] = {}
    for account in accounts:
        nodes.update(_path_nodes(account))
    users: dict[int, Account] = {a.user_id: a.tree for a in accounts if a.tree is not None}
    return ChainState(height, SparseMerkleTree(GLOBAL_TREE_DEPTH, nodes), users)
