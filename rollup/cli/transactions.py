"""The commands ``send`` and ``claim``: operations added to the next block's draft."""

from __future__ import annotations

import argparse

from rollup.cli.chain import open_chain
from rollup.cli.parsing import amount
from rollup.cli.ui import CliError, Ui
from rollup.errors import RollupError


def cmd_send(args: argparse.Namespace, ui: Ui) -> int:
    value = amount(args.amount, "amount")
    with open_chain(args, ui) as chain:
        try:
            chain.send(args.sender, args.recipient, value)
        except RollupError as exc:
            raise CliError(f"send {args.sender} -> {args.recipient} {value} rejected: {exc}") from exc
        chain.save_draft()
        block = chain.sequencer.next_block_number
        sender_id, recipient_id = chain.id_of(args.sender), chain.id_of(args.recipient)
        sender, recipient = chain.name_of(sender_id), chain.name_of(recipient_id)
        count = len(chain.draft.operations(sender_id))
    ui.note(f"queued for block {block}: {sender} sends {value} to {recipient} ({count} ops in the session)")
    return 0


def cmd_claim(args: argparse.Namespace, ui: Ui) -> int:
    with open_chain(args, ui) as chain:
        result = chain.claim(args.name)
        chain.save_draft()
        block = chain.sequencer.next_block_number
        name = chain.name_of(chain.id_of(args.name))
        for transfer, reason in result.rejected:
            ui.warn(f"transfer #{transfer.record.index} of {chain.name_of(transfer.sender_id)} not claimed: {reason}")
        if not result.claimed:
            ui.note(f"{name} has nothing (more) to claim in block {block}")
            return 0
        total = sum(t.record.amount for t in result.claimed)
        senders = ", ".join(f"{t.record.amount} from {chain.name_of(t.sender_id)}" for t in result.claimed)
        ui.note(f"queued for block {block}: {name} claims {total} ({senders})")
    return 0
