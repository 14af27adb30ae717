"""``rollup wallet --node URL``: a user's commands against a running node.

    rollup wallet --node URL --wallet-dir DIR --user-id U register --deposit N
    rollup wallet --node URL --wallet-dir DIR --user-id U send TO:AMOUNT [TO:AMOUNT ...]
    rollup wallet --node URL --wallet-dir DIR --user-id U claim [--expect K]
    rollup wallet --node URL --wallet-dir DIR --user-id U balance

Each command reads what it needs from the node (the current root, the
account's nonce, the transfers addressed to it), builds one session (all
the sends of one command share it, as a block allows one session per user),
submits it, checks the signed receipt against the sequencer key, and waits
until the session is in a block (``--wait proven``: in a proven block). A
session refused as stale (a block was sealed between reading the root and
submitting) is rebuilt on the new root and submitted again.

The secret comes from the key file of ``--wallet-dir`` (``rollup wallet new``);
the node proves the session on the user's behalf (delegated proving), so the
secret travels to the node with the session.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from rollup.errors import RollupError
from rollup.node.client import NodeClient, NodeRefusedError
from rollup.operations import Claim, Operation, Register, Send
from rollup.session import Session
from rollup.state import Secret
from rollup.wallet import read_key_file
from verifier.light_client import parse_digest_hex
from verifier.sequencer_signatures import SignatureError

STALE_RETRIES = 20
WAIT_TIMEOUT_SECONDS = 3600.0
INCOMING_POLL_SECONDS = 0.5


def _transfer(text: str) -> tuple[int, int]:
    recipient, sep, amount = text.partition(":")
    if not sep or not recipient.isdigit() or not amount.isdigit():
        raise argparse.ArgumentTypeError(f"a transfer is RECIPIENT_ID:AMOUNT, got {text!r}")
    return int(recipient), int(amount)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rollup wallet", description="A user's commands against a running node.")
    parser.add_argument("--node", required=True, metavar="URL", help="the node (http://127.0.0.1:8650)")
    parser.add_argument("--wallet-dir", required=True, metavar="DIR", help="the user's wallet (rollup wallet new)")
    parser.add_argument("--user-id", type=int, required=True, help="the user's id (its leaf in the global tree)")
    parser.add_argument("--wait", choices=("included", "proven"), default="included", help="wait for this status")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register = commands.add_parser("register", help="register with a public deposit")
    register.add_argument("--deposit", type=int, required=True)
    send = commands.add_parser("send", help="send to other users, all in one session")
    send.add_argument("transfers", nargs="+", type=_transfer, metavar="TO:AMOUNT")
    claim = commands.add_parser("claim", help="claim every transfer addressed to this user")
    claim.add_argument("--expect", type=int, default=0, help="first wait until this many transfers are claimable")
    commands.add_parser("balance", help="print the account as JSON")
    return parser


def _address(client: NodeClient, user_id: int) -> tuple[int, int, int, int]:
    """The address registration bound to ``user_id``, as the node serves it."""
    address = client.account(user_id)["address"]
    if address is None:
        raise RollupError(f"user {user_id} is not registered: a transfer to it needs its address")
    return parse_digest_hex(address)


def _operations(args: argparse.Namespace, account: dict[str, Any], client: NodeClient) -> tuple[Operation, ...]:
    """The session's operations for ``account`` as the node serves it now."""
    nonce = account["nonce"] or 0
    if args.command == "register":
        return (Register(args.deposit),)
    if args.command == "send":
        return tuple(
            Send(to, _address(client, to), amount, nonce + i + 1) for i, (to, amount) in enumerate(args.transfers)
        )
    incoming = account["incoming"]
    return tuple(Claim(t["sender_id"], t["outbox_index"], nonce + i + 1) for i, t in enumerate(incoming))


def submit_session(
    client: NodeClient, user_id: int, secret: Secret, operations: Callable[[dict[str, Any]], tuple[Operation, ...]]
) -> dict[str, Any]:
    """Build the session from the node's current data and submit it, rebuilding it when it went stale."""
    for _ in range(STALE_RETRIES):
        account = client.account(user_id)
        session = Session(user_id, parse_digest_hex(account["root"]), secret, operations(account))
        try:
            return client.submit(session)
        except NodeRefusedError as exc:
            if exc.kind != "stale_root":
                raise
    raise RollupError(f"the session of user {user_id} went stale {STALE_RETRIES} times in a row")


def _wait_for_incoming(client: NodeClient, user_id: int, expected: int) -> None:
    while len(client.account(user_id)["incoming"]) < expected:
        time.sleep(INCOMING_POLL_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    """0 success; 1 the node refused the session or its receipt does not check; 2 bad usage or unreachable node."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        with NodeClient(args.node) as client:
            if args.command == "balance":
                print(json.dumps(client.account(args.user_id), indent=2))
                return 0
            if args.command == "claim":
                _wait_for_incoming(client, args.user_id, args.expect)
            signed = submit_session(
                client,
                args.user_id,
                read_key_file(args.wallet_dir).secret,
                lambda account: _operations(args, account, client),
            )
            receipt = signed["receipt"]
            print(f"accepted: submission {receipt['submission']} promised for block {receipt['block']}", flush=True)
            status = client.wait_for(receipt["submission"], args.wait, timeout=WAIT_TIMEOUT_SECONDS)
            print(f"{status['status']} in block {status['block']}", flush=True)
    except (NodeRefusedError, SignatureError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (RollupError, OSError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
