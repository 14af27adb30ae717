"""The wallet's own state file: owner-only and versioned, and its sync with published block data."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from rollup.block_data import BlockData
from rollup.operations import Claim, Send
from rollup.outbox import TransferRecord
from rollup.smt import EMPTY_LEAF
from rollup.state import ChainState, UserTree
from rollup.wallet import WalletError
from rollup.wallet_proving import SessionRequest, build_own_session
from rollup.wallet_state import (
    Incoming,
    PendingState,
    WalletState,
    WalletSyncError,
    read_wallet_state,
    state_path,
    write_wallet_state,
)
from rollup.witness import SessionPublicData

ME, OTHER = 3, 5
KEY, OTHER_KEY = (11, 12, 13, 14), (21, 22, 23, 24)


def entry(tree: UserTree, user: int, appends: tuple[TransferRecord, ...] = ()) -> SessionPublicData:
    return SessionPublicData(user, 0, tree.outbox.root, tree.opaque_digest(), appends)


def block(number: int, *sessions: SessionPublicData) -> BlockData:
    return BlockData(number, EMPTY_LEAF, EMPTY_LEAF, sessions)


def registered(balance: int = 100) -> UserTree:
    return UserTree.registered(KEY, balance)


def pending_wallet() -> WalletState:
    tree = registered()
    return WalletState(ME, pending=PendingState(1, tree, tree.leaf()))


def test_a_pending_session_in_its_block_is_confirmed() -> None:
    wallet = pending_wallet()
    assert wallet.pending is not None
    report = wallet.sync([block(1, entry(wallet.pending.account, ME))], KEY)
    assert (report.blocks, report.confirmed, report.dropped) == (1, 1, None)
    assert wallet.pending is None and wallet.account is not None and wallet.account.balance == 100
    assert wallet.block == 1


def test_a_pending_session_missing_from_its_block_is_dropped() -> None:
    wallet = pending_wallet()
    report = wallet.sync([block(1)], KEY)
    assert (report.confirmed, report.dropped) == (None, 1)
    assert wallet.pending is None and wallet.account is None and wallet.block == 1


@pytest.mark.parametrize("pending", [True, False], ids=["another leaf", "not proven here"])
def test_another_session_of_the_wallets_user_is_an_error(pending: bool) -> None:
    wallet = pending_wallet() if pending else WalletState(ME)
    stranger = UserTree.registered(OTHER_KEY, 100)
    with pytest.raises(WalletSyncError, match="block 1 holds a session of user 3"):
        wallet.sync([block(1, entry(stranger, ME))], KEY)
    assert wallet.block == 0


def test_a_missing_block_is_an_error() -> None:
    wallet = WalletState(ME)
    with pytest.raises(WalletSyncError, match="block 1 is missing"):
        wallet.sync([block(2)], KEY)


def test_incoming_transfers_are_found_by_address() -> None:
    sender = UserTree.registered(OTHER_KEY, 100)
    mine = TransferRecord(ME, KEY, 7, 0)
    to_my_id_but_not_my_key = TransferRecord(ME, OTHER_KEY, 8, 1)
    to_someone_else = TransferRecord(OTHER, KEY, 9, 2)
    for record in (mine, to_my_id_but_not_my_key, to_someone_else):
        sender.outbox.append(record)
    wallet = WalletState(ME)
    wallet.sync([block(1, entry(sender, OTHER, (mine, to_my_id_but_not_my_key, to_someone_else)))], KEY)
    assert wallet.incoming == [Incoming(OTHER, 0, 7)] and wallet.claimable() == [Incoming(OTHER, 0, 7)]


def test_the_view_refuses_a_state_that_does_not_hash_to_the_chains_leaf() -> None:
    wallet = WalletState(ME, account=registered())
    with pytest.raises(WalletSyncError, match="leaf"):
        wallet.view(ChainState())
    chain = ChainState()
    chain.global_tree.set_leaf(ME, registered().leaf())
    assert wallet.view(chain).tree(ME).balance == 100
    chain.block_number = 4
    with pytest.raises(WalletSyncError, match="synced to block 0"):
        wallet.view(chain)


def test_the_state_file_round_trips_owner_only(tmp_path: Path) -> None:
    tree = registered(60)
    tree.outbox.append(TransferRecord(OTHER, OTHER_KEY, 40, 0))
    tree.claimed.set_leaf(5 << 16 | 2, (1, 0, 0, 0))
    wallet = WalletState(ME, 4, tree, [Incoming(OTHER, 2, 9)], PendingState(5, tree.copy(), tree.leaf()))
    write_wallet_state(tmp_path, wallet)
    assert stat.S_IMODE(os.stat(state_path(tmp_path)).st_mode) == 0o600
    again = read_wallet_state(tmp_path, KEY)
    assert again is not None and again.to_json() == wallet.to_json()
    assert again.account is not None and again.account.leaf() == tree.leaf()
    assert read_wallet_state(tmp_path / "none", KEY) is None


def test_a_state_file_others_may_read_is_refused(tmp_path: Path) -> None:
    write_wallet_state(tmp_path, WalletState(ME))
    state_path(tmp_path).chmod(0o644)
    with pytest.raises(WalletError, match="readable only by its owner"):
        read_wallet_state(tmp_path, KEY)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d | {"version": 2}, "version 2"),
        (lambda d: {k: v for k, v in d.items() if k != "pending"}, "not a wallet state file"),
        (lambda d: d | {"block": -1}, "damaged"),
        (lambda d: d | {"account": {"balance": 1}}, "damaged"),
    ],
    ids=["version", "keys", "block", "account"],
)
def test_a_state_file_of_another_version_or_shape_is_refused(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    write_wallet_state(tmp_path, WalletState(ME))
    path = state_path(tmp_path)
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    with pytest.raises(WalletError, match=message):
        read_wallet_state(tmp_path, KEY)


def test_a_pending_state_that_does_not_hash_to_its_leaf_is_refused(tmp_path: Path) -> None:
    wallet = pending_wallet()
    assert wallet.pending is not None
    wallet.pending = PendingState(1, wallet.pending.account, (1, 2, 3, 4))
    write_wallet_state(tmp_path, wallet)
    with pytest.raises(WalletError, match="does not hash to its new leaf"):
        read_wallet_state(tmp_path, KEY)


def test_a_wallets_session_claims_before_it_sends() -> None:
    """``build_own_session`` puts the claims first (a send may spend them; the cheapest order to prove), nonces
    in that order."""
    wallet = WalletState(ME, account=registered(), incoming=[Incoming(OTHER, 0, 7), Incoming(OTHER, 1, 8)])
    request = SessionRequest(sends=((OTHER, 5, OTHER_KEY),), claim=True)
    session = build_own_session(ChainState(), wallet, (1, 2, 3, 4), request)
    assert session.operations == (Claim(OTHER, 0, 1), Claim(OTHER, 1, 2), Send(OTHER, OTHER_KEY, 5, 3))
