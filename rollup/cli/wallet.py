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
from pathlib import Path

from rollup.cli.chain import open_chain
from rollup.cli.parsing import amount
from rollup.cli.ui import CliError, Ui
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


def _transfer(text: str) -> tuple[int, int]:
    recipient, separator, value = text.partition(":")
    if not separator or not recipient.isdigit():
        raise CliError(f"--send takes USER_ID:AMOUNT, got {text!r}")
    return int(recipient), amount(value, "amount")


def cmd_wallet_prove(args: argparse.Namespace, ui: Ui) -> int:
    if args.node is not None:  # against a running node: rollup.node.wallet_command
        from rollup.node.wallet_command import cmd_wallet_prove_node

        return cmd_wallet_prove_node(args, ui)
    if args.out is None:
        raise CliError("wallet prove needs --out FILE (or --node URL to submit to a node)")
    from rollup.session import SessionBuilder
    from rollup.wallet import read_key_file
    from rollup.wallet_proving import prove_own_session, require_verified, verified_root

    key = read_key_file(args.wallet_dir)
    with open_chain(args, ui, lock=False) as chain:
        state = chain.state
        if args.genesis_root is not None:
            blocks = Path(args.blocks) if args.blocks is not None else chain.proofs_dir
            try:
                root = verified_root(chain.vk_path, blocks, parse_digest_hex(args.genesis_root))
            except ValueError as exc:
                raise CliError(f"cannot verify the exported blocks in {blocks}: {exc}") from exc
            require_verified(state, root)
            ui.note(f"verified the exported blocks in {blocks} from the genesis root: latest root {digest_hex(root)}")
        builder = SessionBuilder(state, args.user_id, key.secret)
        if args.register is not None:
            builder.register(amount(args.register, "deposit"))
        for recipient, value in map(_transfer, args.send):
            builder.send(recipient, value)
        if args.claim:
            for transfer in state.unclaimed_transfers():
                if transfer.record.recipient == args.user_id and transfer.record.address == key.key_digest:
                    builder.claim(transfer.sender_id, transfer.record.index)
        session = builder.build()
        ui.note(
            f"proving {key.name}'s session of {len(session.operations)} operations for block "
            f"{state.block_number + 1} (reading root {digest_hex(state.root)}) on this machine"
        )
        proven = prove_own_session(state, session)
    out = Path(args.out)
    try:
        out.write_bytes(proven.to_bytes())
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror}") from exc
    ui.note(f"wrote {out}: the session proof (no secret); hand it to the operator with `rollup session submit`")
    return 0


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
    from rollup.block_data import rebuild_public_state

    directory = Path(args.source)
    vk = Path(args.vk) if args.vk is not None else directory / "block.vk"
    try:
        rebuilt = rebuild_public_state(vk, directory, parse_digest_hex(args.genesis_root))
    except ValueError as exc:
        raise CliError(f"cannot rebuild from {directory}: {exc}") from exc
    records = sum(user.outbox.length for user in rebuilt.users.values())
    ui.note(
        f"rebuilt the global tree and every outbox from {rebuilt.blocks} block files in {directory} alone: every "
        f"proof verified from the genesis root, every data file matches its proven data root"
    )
    ui.note(f"  {len(rebuilt.users)} users, {records} outbox records; root {digest_hex(rebuilt.tree.root)}")
    return 0
