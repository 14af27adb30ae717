"""``rollup wallet prove --node URL`` and ``rollup wallet balance --node URL``: a wallet against a running node.

    rollup wallet prove --node URL --wallet-dir DIR --user-id U --genesis-root HEX --chain-key FILE
                        [--register DEPOSIT] [--send TO:AMOUNT ...] [--claim] [--out FILE] [--wait proven|included]
    rollup wallet balance --node URL --user-id U

``prove`` is the user's whole round trip, with its secret never leaving this
machine:

1. wait until the node's latest finalized block is chain-proven, fetch the
   chain proof and verify it from the trusted genesis root under the trusted
   chain key (:func:`rollup.node.wallet_view.verified_chain_head`);
2. sync the wallet's own state (:mod:`rollup.wallet_state`) with the node's
   published block data up to that block, and fetch the accounts the session
   reads (the user's own leaf; each sender it claims from; each recipient, for
   its address when the node knows it) and check each against the verified
   root (:func:`~rollup.node.wallet_view.verified_account`); the wallet's own
   state must hash to its verified leaf;
3. build the session on the wallet's own state and prove it here
   (``rollup.wallet_proving``), in zero knowledge, into a session-proof file
   (written to ``--out`` too, if given), recorded as the wallet's pending session;
4. submit the file (``POST /v1/sessions``), check the signed receipt against
   the sequencer key, and wait until the session is in a block and that block
   is proven (``--wait included`` stops at the first), printing each step.

A file refused as stale (a block was sealed while it was being proven) is
proven again on the new chain head, up to :data:`STALE_RETRIES` times. The
chain key comes from a source the user trusts (the ``chain.key`` that
``rollup chain export`` writes: the key is a deterministic function of this
code's circuits, so anyone can rebuild it), never from the node it checks.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rollup.block_data import BlockData
from rollup.cli.ui import CliError, Ui
from rollup.cli.wallet import open_wallet, session_request, synced, wallet_summary
from rollup.errors import RollupError
from rollup.node.client import NodeClient, NodeRefusedError
from rollup.node.wallet_view import (
    UntrustedNodeError,
    VerifiedAccount,
    partial_state,
    verified_account,
    verified_chain_head,
)
from rollup.public_data_json import public_data_from_json
from rollup.session import Session
from rollup.state import ChainState, UserTree
from rollup.wallet import KeyFile
from rollup.wallet_proving import OwnProof, SessionRequest, build_own_session, prove_own_session
from rollup.wallet_state import WalletState, write_wallet_state
from verifier.chain import ChainKey, chain_key_from_bytes
from verifier.hashing import Digest
from verifier.light_client import MAX_KEY_BYTES, digest_hex, parse_digest_hex, read_bounded
from verifier.sequencer_signatures import SignatureError

STALE_RETRIES = 5
CHAIN_PROVEN_TIMEOUT_SECONDS = 3600.0
"""How long a wallet waits for the node to chain-prove its latest block (proving a block takes minutes)."""
WAIT_TIMEOUT_SECONDS = 3600.0
POLL_SECONDS = 0.5


def _chain_key(path: str) -> ChainKey:
    return chain_key_from_bytes(read_bounded(path, "chain key", MAX_KEY_BYTES))


def _wait_until_chain_proven(client: NodeClient, ui: Ui) -> None:
    """Wait until the node's latest finalized block is chain-proven (a session must read that block's root)."""
    deadline = time.monotonic() + CHAIN_PROVEN_TIMEOUT_SECONDS
    announced = False
    while (head := client.head())["chain_proven"] < head["finalized"]:
        if not announced:
            ui.note(f"waiting for the node to chain-prove block {head['finalized']}")
            announced = True
        if time.monotonic() > deadline:
            raise UntrustedNodeError(
                f"the node has not chain-proven block {head['finalized']} after {CHAIN_PROVEN_TIMEOUT_SECONDS:.0f} s"
            )
        time.sleep(POLL_SECONDS)


def node_blocks(client: NodeClient, after: int, height: int) -> list[BlockData]:
    """The published data of blocks ``after + 1 .. height`` as the node serves them (``GET /blocks/N``);
    UntrustedNodeError when malformed. What the wallet syncs from: a block that does not fit shows up as a
    sync error or as a leaf that does not match the verified root."""
    blocks = []
    for number in range(after + 1, height + 1):
        view = client.get(f"/blocks/{number}")
        try:
            sessions = tuple(
                public_data_from_json({k: v for k, v in entry.items() if k not in NODE_ENTRY_EXTRAS})
                for entry in view["public_data"]
            )
            roots = parse_digest_hex(view["prev_root"]), parse_digest_hex(view["new_root"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UntrustedNodeError(f"the node's data of block {number} is malformed: {exc}") from exc
        blocks.append(BlockData(number, roots[0], roots[1], sessions))
    return blocks


NODE_ENTRY_EXTRAS = frozenset({"new_leaf", "proven_by"})
"""What the node's block view adds to each published session entry."""


def build_session(
    client: NodeClient, height: int, root: Digest, wallet: WalletState, key: KeyFile, request: SessionRequest
) -> tuple[Session, ChainState]:
    """The session ``request`` asks for and the wallet's view it reads after block ``height``: the wallet's own
    state, and the public accounts it reads (each sender it claims from, each recipient whose address the node
    knows), each verified under ``root`` (:func:`~rollup.node.wallet_view.partial_state`)."""
    accounts = {wallet.user_id: verified_account(client, wallet.user_id, root)}

    def account(other: int) -> VerifiedAccount:
        if other not in accounts:
            accounts[other] = verified_account(client, other, root)
        return accounts[other]

    sends: list[tuple[int, int, Digest | None]] = []
    for recipient, value, address in request.sends:
        tree = account(recipient).tree
        if address is None and not isinstance(tree, UserTree):
            raise CliError(
                f"user {recipient}'s address is not public: give it as --send {recipient}:{value}:ADDRESS "
                "(its holder's `rollup wallet new` printed it)"
            )
        sends.append((recipient, value, address))
    if request.claim:
        for transfer in wallet.claimable():
            account(transfer.sender)
    view = wallet.view(partial_state(height, list(accounts.values())))
    resolved = SessionRequest(request.deposit, tuple(sends), request.claim)
    return build_own_session(view, wallet, key.secret, resolved), view


def prove_for_node(
    client: NodeClient, height: int, root: Digest, wallet: WalletState, key: KeyFile, request: SessionRequest
) -> OwnProof:
    """The session ``request`` asks for, proven here on the wallet's state and accounts verified under
    ``root``, the root after block ``height``."""
    session, view = build_session(client, height, root, wallet, key, request)
    return prove_own_session(view, session)


def cmd_wallet_prove_node(args: argparse.Namespace, ui: Ui) -> int:
    """``rollup wallet prove --node URL``: verify, prove here, submit, wait (see the module docstring)."""
    if args.genesis_root is None or args.chain_key is None:
        raise CliError("wallet prove --node needs --genesis-root and --chain-key: what the wallet trusts")
    request = session_request(args)
    key, wallet = open_wallet(args)
    genesis = parse_digest_hex(args.genesis_root)
    chain_key = _chain_key(args.chain_key)
    with NodeClient(args.node) as client:
        for _ in range(STALE_RETRIES):
            _wait_until_chain_proven(client, ui)
            head = verified_chain_head(client, chain_key, genesis)
            root = digest_hex(head.latest_root)
            ui.note(f"verified the node's chain proof from genesis: height {head.height}, root {root}")
            synced(wallet, key, node_blocks(client, wallet.block, head.height), ui)
            write_wallet_state(args.wallet_dir, wallet)
            if wallet.pending is not None:
                raise CliError(
                    f"the session this wallet proved for block {wallet.pending.block} is not in a proven block yet: "
                    "wait for it (a block without it lets the wallet prove again)"
                )
            proven = prove_for_node(client, head.height, head.latest_root, wallet, key, request)
            data = proven.file.to_bytes()
            if args.out is not None:
                Path(args.out).write_bytes(data)
            ui.note(f"proved {key.name}'s session on this machine ({len(data)} bytes, no secret); submitting it")
            wallet.pending = proven.pending(head.height + 1)
            write_wallet_state(args.wallet_dir, wallet)
            try:
                signed = client.submit(data)
                break
            except NodeRefusedError as exc:
                wallet.pending = None
                write_wallet_state(args.wallet_dir, wallet)
                if exc.kind != "stale_root":
                    raise
                ui.note("a block was sealed meanwhile: proving again on the new head")
            except SignatureError as exc:
                raise UntrustedNodeError(f"the node's receipt does not check: {exc}") from exc
        else:
            raise RollupError(f"the session of user {args.user_id} went stale {STALE_RETRIES} times in a row")
        receipt = signed["receipt"]
        ui.note(f"accepted: submission {receipt['submission']} promised for block {receipt['block']} (signed receipt)")
        for status in ("included", "proven")[: 1 if args.wait == "included" else 2]:
            result = client.wait_for(receipt["submission"], status, timeout=WAIT_TIMEOUT_SECONDS)
            ui.note(f"{status} in block {result['block']}")
    ui.data(signed)
    return 0


def cmd_wallet_balance(args: argparse.Namespace, ui: Ui) -> int:
    """``rollup wallet balance --node URL``: with ``--wallet-dir``, the wallet's own account synced with the
    node's blocks; else the account of ``--user-id`` as the node serves it (JSON; balances only of users
    whose proving the node holds)."""
    with NodeClient(args.node) as client:
        if args.wallet_dir is None:
            if args.user_id is None:
                raise CliError("wallet balance needs --wallet-dir DIR, or --user-id ID for the node's view")
            ui.data(client.account(args.user_id))
            return 0
        key, wallet = open_wallet(args)
        synced(wallet, key, node_blocks(client, wallet.block, int(client.head()["finalized"])), ui)
        write_wallet_state(args.wallet_dir, wallet)
    ui.data(wallet_summary(wallet))
    return 0
