"""``rollup wallet prove --node URL`` and ``rollup wallet balance --node URL``: a wallet against a running node.

    rollup wallet prove --node URL --wallet-dir DIR --user-id U --genesis-root HEX --chain-key FILE
                        [--register DEPOSIT] [--send TO:AMOUNT ...] [--claim] [--out FILE] [--wait proven|included]
    rollup wallet balance --node URL --user-id U

``prove`` is the user's whole round trip, with its secret never leaving this
machine:

1. wait until the node's latest finalized block is chain-proven, fetch the
   chain proof and verify it from the trusted genesis root under the trusted
   chain key (:func:`rollup.node.wallet_view.verified_chain_head`);
2. fetch the accounts the session reads (the user's own; each sender it
   claims from; each recipient, for its address) and check each against the
   verified root (:func:`~rollup.node.wallet_view.verified_account`);
3. build the session and prove it here (``rollup.wallet_proving``), in zero
   knowledge, into a session-proof file (written to ``--out`` too, if given);
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
from dataclasses import dataclass
from pathlib import Path

from rollup.cli.parsing import amount
from rollup.cli.ui import CliError, Ui
from rollup.errors import RollupError
from rollup.node.client import NodeClient, NodeRefusedError
from rollup.node.wallet_view import (
    UntrustedNodeError,
    VerifiedAccount,
    partial_state,
    verified_account,
    verified_chain_head,
)
from rollup.session import Session, SessionBuilder
from rollup.state import ChainState
from rollup.wallet import KeyFile, read_key_file
from rollup.wallet_proving import prove_own_session
from verifier.chain import ChainKey, chain_key_from_bytes
from verifier.hashing import Digest
from verifier.light_client import MAX_KEY_BYTES, digest_hex, parse_digest_hex, read_bounded
from verifier.sequencer_signatures import SignatureError

STALE_RETRIES = 5
CHAIN_PROVEN_TIMEOUT_SECONDS = 3600.0
"""How long a wallet waits for the node to chain-prove its latest block (proving a block takes minutes)."""
WAIT_TIMEOUT_SECONDS = 3600.0
POLL_SECONDS = 0.5


def _transfer(text: str) -> tuple[int, int]:
    recipient, separator, value = text.partition(":")
    if not separator or not recipient.isdigit():
        raise CliError(f"--send takes USER_ID:AMOUNT, got {text!r}")
    return int(recipient), amount(value, "amount")


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


def _claimable(own: VerifiedAccount, sender: VerifiedAccount, index: int, key: KeyFile) -> bool:
    """True when record ``index`` of the verified sender's outbox is the wallet's and it has not claimed it."""
    if sender.tree is None or own.tree is None or not 0 <= index < sender.tree.outbox.length:
        return False
    record = sender.tree.outbox.record(index)
    return (
        record.recipient == own.user_id
        and record.address == key.key_digest
        and not own.tree.has_claimed(sender.user_id, index)
    )


@dataclass(frozen=True)
class SessionRequest:
    """What the user asks its next session to do."""

    deposit: int | None = None
    """Register with this public deposit."""
    sends: tuple[tuple[int, int], ...] = ()
    """(recipient id, amount) pairs."""
    claim: bool = False
    """Claim every finalized transfer to the wallet."""


def build_session(
    client: NodeClient, height: int, root: Digest, user_id: int, key: KeyFile, request: SessionRequest
) -> tuple[Session, ChainState]:
    """The session ``request`` asks for and the state it reads after block ``height``: the accounts it reads,
    each verified under ``root`` (:func:`~rollup.node.wallet_view.partial_state`)."""
    own = verified_account(client, user_id, root)
    accounts = {own.user_id: own}

    def account(other: int) -> VerifiedAccount:
        if other not in accounts:
            accounts[other] = verified_account(client, other, root)
        return accounts[other]

    sends: list[tuple[int, int, Digest]] = []
    for recipient, value in request.sends:
        tree = account(recipient).tree
        if tree is None:
            raise CliError(f"user {recipient} is not registered: a transfer to it needs its address")
        sends.append((recipient, value, tree.key_digest))
    claims: list[tuple[int, int]] = []
    if request.claim:
        for hint in client.account(user_id)["incoming"]:  # a hint; each record is checked below
            sender, index = int(hint["sender_id"]), int(hint["outbox_index"])
            if _claimable(own, account(sender), index, key):
                claims.append((sender, index))
    state = partial_state(height, list(accounts.values()))
    builder = SessionBuilder(state, user_id, key.secret)
    if request.deposit is not None:
        builder.register(request.deposit)
    for recipient, value, address in sends:
        builder.send(recipient, value, address)
    for sender, index in claims:
        builder.claim(sender, index)
    return builder.build(), state


def prove_for_node(
    client: NodeClient, height: int, root: Digest, user_id: int, key: KeyFile, request: SessionRequest
) -> bytes:
    """The session-proof file of the session ``request`` asks for, proven here on accounts verified under
    ``root``, the root after block ``height``."""
    session, state = build_session(client, height, root, user_id, key, request)
    return prove_own_session(state, session).to_bytes()


def _request(args: argparse.Namespace) -> SessionRequest:
    deposit = None if args.register is None else amount(args.register, "deposit")
    return SessionRequest(deposit, tuple(map(_transfer, args.send)), bool(args.claim))


def cmd_wallet_prove_node(args: argparse.Namespace, ui: Ui) -> int:
    """``rollup wallet prove --node URL``: verify, prove here, submit, wait (see the module docstring)."""
    if args.genesis_root is None or args.chain_key is None:
        raise CliError("wallet prove --node needs --genesis-root and --chain-key: what the wallet trusts")
    request = _request(args)
    key = read_key_file(args.wallet_dir)
    genesis = parse_digest_hex(args.genesis_root)
    chain_key = _chain_key(args.chain_key)
    with NodeClient(args.node) as client:
        for _ in range(STALE_RETRIES):
            _wait_until_chain_proven(client, ui)
            head = verified_chain_head(client, chain_key, genesis)
            root = digest_hex(head.latest_root)
            ui.note(f"verified the node's chain proof from genesis: height {head.height}, root {root}")
            data = prove_for_node(client, head.height, head.latest_root, args.user_id, key, request)
            if args.out is not None:
                Path(args.out).write_bytes(data)
            ui.note(f"proved {key.name}'s session on this machine ({len(data)} bytes, no secret); submitting it")
            try:
                signed = client.submit(data)
                break
            except NodeRefusedError as exc:
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
    """``rollup wallet balance --node URL --user-id U``: the account as the node serves it (JSON)."""
    with NodeClient(args.node) as client:
        ui.data(client.account(args.user_id))
    return 0
