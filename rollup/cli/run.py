"""The command ``run``: a scripted chain (format: :mod:`rollup.scenario`) built, then proven and exported."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from rollup.cli.chain import chain_path
from rollup.cli.chain_proofs import extend_chain_proof
from rollup.cli.proving import build_circuits, executor_of, prove_and_verify, run_summary, write_vk
from rollup.cli.ui import Ui, count_text
from rollup.errors import RollupError
from rollup.scenario import ScenarioClaim, ScenarioSend, load_scenario
from verifier.chain import GENESIS_HEIGHT
from verifier.hashing import Digest
from verifier.light_client import digest_hex

if TYPE_CHECKING:
    from rollup.chain_dir import ChainDirectory


@dataclass
class _RunBlock:
    number: int
    prev_root: Digest
    new_root: Digest
    path: Path | None = None


def _apply_scenario_block(
    chain: ChainDirectory, index: int, ops: Sequence[ScenarioSend | ScenarioClaim], report: Callable[[str], None]
) -> None:
    """Add one scenario block's operations to the draft; each invalid one is reported and dropped."""
    for j, op in enumerate(ops):
        where = f"scenario block {index}, op {j} ({op.describe()})"
        if isinstance(op, ScenarioSend):
            try:
                chain.send(op.sender, op.recipient, op.amount)
            except RollupError as exc:
                report(f"{where}: dropped: {exc}")
            continue
        result = chain.claim(op.by)
        for transfer, reason in result.rejected:
            sender = chain.name_of(transfer.sender_id)
            report(f"{where}: dropped the claim of transfer #{transfer.record.index} of {sender}: {reason}")
        if not result.claimed and not result.rejected:
            report(f"{where}: nothing to claim")


def _prove_run(chain: ChainDirectory, runs: list[_RunBlock], args: argparse.Namespace, ui: Ui) -> None:
    """Prove and export every block of a run, and check each with the light client from the genesis root."""
    circuits = build_circuits(ui)
    write_vk(chain, circuits, ui)
    numbers = [item.number for item in runs]
    with executor_of(args, ui) as executor:
        verified = prove_and_verify(
            chain, numbers, circuits, executor, ui, on_proven=lambda proven: ui.note(run_summary(proven))
        )
        for item, block in zip(runs, verified, strict=True):
            item.path = block.proven.path
    ui.note(f"all {len(runs)} block proofs verify from the genesis root (key: {chain.vk_path})")
    extend_chain_proof(chain, ui)


def cmd_run(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_dir import fresh_chain

    scenario = load_scenario(args.scenario)
    directory = chain_path(args)
    with fresh_chain(directory) as chain:
        for name, balance in scenario.users.items():
            chain.add_user(name, balance)
        built = [chain.build_block().block]
        ui.note(f"block {GENESIS_HEIGHT + 1}: registered {len(scenario.users)} users")
        for index, ops in enumerate(scenario.blocks):
            _apply_scenario_block(chain, index, ops, ui.warn)
            if chain.draft.is_empty():
                ui.warn(f"scenario block {index}: no valid operation, so no block was built")
                continue
            block = chain.build_block().block
            built.append(block)
            ui.note(f"block {block.number} (scenario block {index}): {count_text(len(block.public_data), 'session')}")
        runs = [_RunBlock(b.number, b.prev_root, b.new_root) for b in built]
        if args.no_prove:
            ui.note(f"not proven (--no-prove): `rollup --dir {directory} block prove N` proves block N")
        else:
            _prove_run(chain, runs, args, ui)
        balances = {row.name: row.balance for row in chain.balances()}
    if args.json:
        ui.data(
            {
                "balances": balances,
                "blocks": [
                    {
                        "number": r.number,
                        "prev_root": digest_hex(r.prev_root),
                        "new_root": digest_hex(r.new_root),
                        "proof": None if r.path is None else str(r.path),
                    }
                    for r in runs
                ],
            }
        )
    else:
        table = Table(title="Final balances")
        table.add_column("user")
        table.add_column("balance", justify="right")
        for name, value in balances.items():
            table.add_row(name, "private" if value is None else str(value))
        ui.print(table)
    return 0
