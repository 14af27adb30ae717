"""The commands of client-side proving: ``wallet new``, ``wallet prove`` (the user's side),
``session submit`` (the operator's side), and ``chain rebuild`` (anyone, from block files alone).

A wallet directory holds one user's key file (:mod:`rollup.wallet`). ``wallet
prove`` builds the user's session for the next block against the latest
finalized state of a chain directory, which it opens read-only as its source of
published data, proves it on this machine and writes a session-proof file;
``session submit`` hands that file to the operator of a chain directory
(:func:`rollup.session_submission.submit_session_proof`). No secret crosses
from the first to the second.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rollup.block_data import BlockData, BlockDataError, rebuild_public_state
from rollup.chain_integrity import VK_FILE
from rollup.cli.chain import chain_path, open_chain
from rollup.cli.parsing import amount
from rollup.cli.ui import CliError, Ui
from rollup.state import ChainState
from rollup.wallet import KeyFile, read_key_file
from rollup.wallet_proving import (
    SessionRequest,
    build_own_session,
    prove_own_session,
    require_verified,
    verified_root,
)
from rollup.wallet_state import WalletState, read_wallet_state, write_wallet_state
from verifier.hashing import Digest
from verifier.light_client import digest_hex, parse_digest_hex

DEFAULT_WALLETS_DIR = Path("wallets")
"""``rollup wallet new NAME`` without ``--wallet-dir`` writes ``wallets/NAME``."""


def cmd_wallet_new(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.wallet import create_key_file

    directory = Path(args.wallet_dir) if args.wallet_dir is not None else DEFAULT_WALLETS_DIR / args.name
    key = create_key_file(directory, args.name)
    ui.note(f"created the wallet of {args.name} in {directory} (key file mode 0600: keep it, never share it)")
    ui.note(f"  address {digest_hex(key.key_digest)} (what senders name; safe to share)")
    return 0


def transfer_argument(text: str) -> tuple[int, int, Digest | None]:
    """``USER_ID:AMOUNT`` or ``USER_ID:AMOUNT:ADDRESS`` (the recipient's address, a 64-digit hex digest)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].isdigit():
        raise CliError(f"--send takes USER_ID:AMOUNT or USER_ID:AMOUNT:ADDRESS, got {text!r}")
    try:
        address = parse_digest_hex(parts[2]) if len(parts) == 3 else None
    except ValueError as exc:
        raise CliError(f"--send {text!r}: the address is not a digest: {exc}") from exc
    return int(parts[0]), amount(parts[1], "amount"), address


def session_request(args: argparse.Namespace) -> SessionRequest:
    """What ``wallet prove``'s --register, --send and --claim ask for."""
    deposit = None if args.register is None else amount(args.register, "deposit")
    return SessionRequest(deposit, tuple(map(transfer_argument, args.send)), bool(args.claim))


def open_wallet(args: argparse.Namespace) -> tuple[KeyFile, WalletState]:
    """The wallet's key and its own state (a fresh one for ``--user-id`` when it has none yet)."""
    key = read_key_file(args.wallet_dir)
    state = read_wallet_state(args.wallet_dir, key.key_digest)
    if state is None:
        if args.user_id is None:
            raise CliError(f"{args.wallet_dir} has no state yet: give the user id with --user-id")
        return key, WalletState(args.user_id)
    if args.user_id is not None and args.user_id != state.user_id:
        raise CliError(f"{args.wallet_dir} is the wallet of user {state.user_id}, not of user {args.user_id}")
    return key, state


def synced(wallet: WalletState, key: KeyFile, blocks: Iterable[BlockData], ui: Ui) -> None:
    """Sync the wallet's state with the published ``blocks`` (see :mod:`rollup.wallet_state`), saying what
    happened to its pending session."""
    report = wallet.sync(blocks, key.key_digest)
    if report.confirmed is not None:
        ui.note(f"block {report.confirmed} includes the session this wallet proved: its new state is the wallet's")
    if report.dropped is not None:
        ui.note(f"block {report.dropped} does not include the session this wallet proved: prove it again")


@contextmanager
def public_source(args: argparse.Namespace, ui: Ui) -> Iterator[tuple[ChainState, list[BlockData]]]:
    """The chain's public state and the published data of every block: from ``--blocks DIR`` alone (every
    proof verified from ``--genesis-root``), else from the chain directory (opened read-only; with
    ``--genesis-root`` its exported proofs are verified first)."""
    if args.blocks is not None:
        if args.genesis_root is None:
            raise CliError("wallet prove --blocks DIR needs --genesis-root: what the block files are verified from")
        blocks = Path(args.blocks)
        vk = Path(args.vk) if args.vk is not None else blocks / VK_FILE
        if args.vk is None and not vk.is_file():
            vk = chain_path(args) / VK_FILE
        try:
            rebuilt = rebuild_public_state(vk, blocks, parse_digest_hex(args.genesis_root))
        except (ValueError, BlockDataError) as exc:
            raise CliError(f"cannot verify the block files in {blocks}: {exc}") from exc
        ui.note(f"verified the {rebuilt.blocks} block files in {blocks} from the genesis root")
        yield rebuilt.state(), list(rebuilt.data)
        return
    with open_chain(args, ui, lock=False) as chain:
        if args.genesis_root is not None:
            try:
                root = verified_root(chain.vk_path, chain.proofs_dir, parse_digest_hex(args.genesis_root))
            except ValueError as exc:
                raise CliError(f"cannot verify the exported blocks in {chain.proofs_dir}: {exc}") from exc
            require_verified(chain.state, root)
        yield chain.state, [BlockData.of(block) for block in chain.storage.blocks()]


def cmd_wallet_prove(args: argparse.Namespace, ui: Ui) -> int:
    if args.node is not None:  # against a running node: rollup.node.wallet_command
        from rollup.node.wallet_command import cmd_wallet_prove_node

        return cmd_wallet_prove_node(args, ui)
    if args.out is None:
        raise CliError("wallet prove needs --out FILE (or --node URL to submit to a node)")
    request = session_request(args)
    key, wallet = open_wallet(args)
    with public_source(args, ui) as (public, blocks):
        synced(wallet, key, blocks, ui)
        write_wallet_state(args.wallet_dir, wallet)
        if wallet.pending is not None:
            raise CliError(
                f"the session this wallet proved for block {wallet.pending.block} is not in a block yet: wait "
                "until that block is built (a block without it lets the wallet prove again)"
            )
        view = wallet.view(public)
        session = build_own_session(view, wallet, key.secret, request)
        ui.note(
            f"proving {key.name}'s session of {len(session.operations)} operations for block "
            f"{view.block_number + 1} (reading root {digest_hex(view.root)}) on this machine"
        )
        proven = prove_own_session(view, session)
        wallet.pending = proven.pending(view.block_number + 1)
    out = Path(args.out)
    write_wallet_state(args.wallet_dir, wallet)
    try:
        out.write_bytes(proven.file.to_bytes())
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror}") from exc
    ui.note(
        f"wrote {out}: the session proof (no secret, no balance); hand it to the operator with `rollup session submit`"
    )
    return 0


def cmd_wallet_balance(args: argparse.Namespace, ui: Ui) -> int:
    """The wallet's own view of its account, synced with the published blocks first (JSON)."""
    key, wallet = open_wallet(args)
    with public_source(args, ui) as (_, blocks):
        synced(wallet, key, blocks, ui)
        write_wallet_state(args.wallet_dir, wallet)
    ui.data(wallet_summary(wallet))
    return 0


def wallet_summary(wallet: WalletState) -> dict[str, object]:
    """The wallet's account as ``wallet balance`` prints it."""
    account = wallet.account
    return {
        "user_id": wallet.user_id,
        "block": wallet.block,
        "registered": account is not None,
        "balance": None if account is None else account.balance,
        "nonce": None if account is None else account.nonce,
        "claimable": [{"sender_id": t.sender, "outbox_index": t.index, "amount": t.amount} for t in wallet.claimable()],
        "pending_block": None if wallet.pending is None else wallet.pending.block,
    }


def cmd_session_submit(args: argparse.Namespace, ui: Ui) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    with open_chain(args, ui) as chain:
        receipt = chain.submit_proven(data, args.name)
        name = chain.name_of(receipt.user_id)
    ui.note(f"accepted the session proof of {name} for block {receipt.block_number} (verified; proven by its user)")
    return 0


def cmd_chain_rebuild(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_rebuild import rebuild_chain_dir

    directory = Path(args.source)
    vk = Path(args.vk) if args.vk is not None else directory / "block.vk"
    genesis = parse_digest_hex(args.genesis_root)
    try:
        if args.into is None:
            rebuilt = rebuild_public_state(vk, directory, genesis)
        else:
            rebuilt = rebuild_chain_dir(vk, directory, genesis, Path(args.into))
    except (ValueError, BlockDataError) as exc:
        raise CliError(f"cannot rebuild from {directory}: {exc}") from exc
    records = sum(user.outbox.length for user in rebuilt.users.values())
    ui.note(
        f"rebuilt the global tree and every outbox from {rebuilt.blocks} block files in {directory} alone: every "
        f"proof verified from the genesis root, every data file matches its proven data root"
    )
    ui.note(f"  {len(rebuilt.users)} users, {records} outbox records; root {digest_hex(rebuilt.tree.root)}")
    if args.into is not None:
        ui.note(
            f"wrote the chain directory {args.into}: every user as public data only (outbox and opaque digest), "
            "the block proofs and data files, the block key; continue it with `rollup --dir "
            f"{args.into} session submit`, `block build`, `block prove`"
        )
    return 0
