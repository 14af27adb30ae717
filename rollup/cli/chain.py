"""Opening the chain directory of a command, and the commands ``init``, ``user add`` and ``balances``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from rollup.cli.parsing import amount
from rollup.cli.ui import Ui
from rollup.operations import describe_operation
from rollup.params import DEFAULT_CHAIN_DIR
from verifier.light_client import digest_hex

if TYPE_CHECKING:
    from rollup.chain_dir import ChainDirectory


def chain_path(args: argparse.Namespace) -> Path:
    """The chain directory named by ``--dir`` (default ``./chain``)."""
    return Path(args.dir) if args.dir is not None else DEFAULT_CHAIN_DIR


def open_chain(args: argparse.Namespace, ui: Ui, *, create: bool = False, lock: bool = True) -> ChainDirectory:
    """Open the command's chain directory, showing what opening it changed (e.g. a stale draft dropped)."""
    from rollup.chain_dir import ChainDirectory

    chain = ChainDirectory.open(chain_path(args), create=create, lock=lock)
    for warning in chain.warnings:
        ui.warn(warning)
    return chain


def cmd_init(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_dir import ChainDirectory

    path = chain_path(args)
    existed = ChainDirectory.exists(path)
    with open_chain(args, ui, create=True) as chain:
        if existed:
            ui.note(f"{path} already holds a chain (latest block {chain.latest_block}); nothing changed")
        else:
            ui.note(f"initialised an empty chain in {path}")
            ui.note(f"genesis root {digest_hex(chain.state.root)}")
    return 0


def cmd_user_add(args: argparse.Namespace, ui: Ui) -> int:
    balance = amount(args.balance, "balance")
    with open_chain(args, ui) as chain:
        user_id = chain.add_user(args.name, balance)
        chain.save_draft()
        block = chain.sequencer.next_block_number
        name = chain.name_of(user_id)
    ui.note(f"{name} is user {user_id}; registration with {balance} queued for block {block}")
    return 0


PRIVATE = "private"
"""What the operator shows for a balance it does not know (a user proving its own sessions)."""


def cmd_balances(args: argparse.Namespace, ui: Ui) -> int:
    with open_chain(args, ui, lock=False) as chain:
        rows = chain.balances()
        if args.json:
            ui.data(
                {
                    "block": chain.latest_block,
                    "root": digest_hex(chain.state.root),
                    "balances": {row.name: row.balance for row in rows},
                }
            )
            return 0
        after = f"after block {chain.latest_block}" if chain.latest_block >= 0 else "(no block yet)"
        table = Table(title=f"Balances {after}")
        table.add_column("user")
        for column in ("id", "balance", "nonce", "sent", "received", "incoming"):
            table.add_column(column, justify="right")
        for row in rows:
            values = (row.user_id, row.balance, row.nonce, row.sent, row.received, row.incoming)
            table.add_row(row.name, *(PRIVATE if value is None else str(value) for value in values))
        known = [r for r in rows if not r.private]
        table.add_section()
        total_balance, total_incoming = sum(r.balance or 0 for r in known), sum(r.incoming or 0 for r in known)
        table.add_row("total (known)", "", str(total_balance), "", "", "", str(total_incoming))
        ui.print(table)
        ui.note("incoming = sent to the user and not claimed yet; total supply = balances + incoming")
        if len(known) < len(rows):
            ui.note(
                f"{len(rows) - len(known)} of {len(rows)} users prove their own sessions: their balances are "
                f"{PRIVATE} (only their wallets know them), so the totals count only the other users"
            )
        for user_id in chain.draft.user_ids:
            ops = ", ".join(describe_operation(op, chain.name_of) for op in chain.draft.operations(user_id))
            ui.note(f"pending for block {chain.sequencer.next_block_number}: {chain.name_of(user_id)}: {ops}")
    return 0
