"""The command ``demo``: the seed scenario with every user proving its own sessions, then aggregated,
verified and re-executed block by block, with timings.

Four wallets in four directories (``DIR-users/NAME``, or in the temporary
directory) each prove their user's session of every block in their own process
(:func:`rollup.own_proving.prove_in_processes`); the operator only admits the
session proofs (:meth:`rollup.chain_dir.ChainDirectory.submit_proven`),
builds the blocks and aggregates the proofs it did not make."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from rollup.cli.blocks import aggregation_tree
from rollup.cli.chain_proofs import extend_chain_proof
from rollup.cli.proving import build_circuits, executor_of, prove_and_verify, run_summary, write_vk
from rollup.cli.ui import Ui, seconds_text
from verifier.chain import GENESIS_HEIGHT
from verifier.light_client import digest_hex

if TYPE_CHECKING:
    from rollup.chain_proving import ProvenBlock


def cmd_demo(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_dir import fresh_chain
    from rollup.own_proving import prove_in_processes, seed_blocks, wallet_balances
    from rollup.reexecute import reexecute_block
    from rollup.seed import SEED_START_BALANCE, SEED_TRANSFERS, SEED_USERS, wallet_balance_table
    from rollup.wallet import create_key_file

    started = time.perf_counter()
    temporary = tempfile.TemporaryDirectory(prefix="rollup-demo-") if args.dir is None else None
    directory = Path(temporary.name) / "chain" if temporary is not None else Path(args.dir)
    users = directory.parent / f"{directory.name}-users"
    scratch = tempfile.TemporaryDirectory(prefix="rollup-demo-sessions-")
    try:
        with fresh_chain(directory) as chain:
            chain.set_users(SEED_USERS)
            wallets = {name: users / name for name in SEED_USERS}
            addresses = {name: create_key_file(wallet, name).key_digest for name, wallet in wallets.items()}
            names = ", ".join(SEED_USERS)
            ui.note(f"Seed scenario in {directory}{' (temporary)' if temporary else ''}")
            ui.note(f"  wallets of {names} in four directories under {users}: each user proves its own sessions")
            ui.note("  in its own process; the operator never sees a key, it verifies and aggregates")
            ui.note(f"  block 1: register {names} with {SEED_START_BALANCE} each")
            ui.note("  block 2: " + ", ".join(f"{a} -> {b} {n}" for a, b, n in SEED_TRANSFERS))
            ui.note("  block 3: every recipient claims what was sent to it")
            blocks = []
            for number, jobs in enumerate(seed_blocks(wallets, addresses), start=GENESIS_HEIGHT + 1):
                start = time.perf_counter()
                files = prove_in_processes(directory, jobs, Path(scratch.name))
                for file in files.values():
                    chain.submit_proven(file.read_bytes())
                blocks.append(chain.build_block())
                ui.note(
                    f"block {number}: {len(files)} users proved their sessions in parallel processes in "
                    f"{seconds_text(time.perf_counter() - start)}; the operator admitted them and built the block"
                )
            circuits = build_circuits(ui)
            write_vk(chain, circuits, ui)
            ui.note(
                f"circuits built in {circuits.seconds:.1f} s; proving {len(blocks)} blocks with {args.workers} workers"
            )
            timings = Table(title="Timings")
            for column in ("block", "sessions", "proofs", "prove", "verify", "re-execute"):
                timings.add_column(column, justify="right")
            trusted = chain.storage.block(GENESIS_HEIGHT + 1).prev_root
            prove_total = 0.0

            def show(proven: ProvenBlock) -> None:
                ui.print(aggregation_tree(proven.result.plan, chain.name_of, proven.result.proofs))

            numbers = [executed.block.number for executed in blocks]
            with executor_of(args, ui) as executor:
                for verified in prove_and_verify(chain, numbers, circuits, executor, ui, on_proven=show):
                    proven, number = verified.proven, verified.proven.number
                    trusted = verified.statement.new_root
                    before = chain.storage.load_state(number - 1)
                    sessions = chain.storage.block_sessions(number)
                    published = chain.storage.block(number).public_data
                    start = time.perf_counter()
                    reexecute_block(before, sessions, published)
                    reexecute_seconds = time.perf_counter() - start
                    prove_total += proven.seconds
                    ui.note(run_summary(proven))
                    ui.note(f"block {number}: light client says valid in {seconds_text(verified.verify_seconds)}")
                    timings.add_row(
                        str(number),
                        str(len(published)),
                        str(len(proven.result.proofs)),
                        seconds_text(proven.seconds),
                        seconds_text(verified.verify_seconds),
                        seconds_text(reexecute_seconds),
                    )
            extend_chain_proof(chain, ui)
            ui.print(wallet_balance_table(wallet_balances(directory, wallets)))
            ui.note("final balances as each user's wallet reports them: the operator holds only opaque digests")
            ui.print(timings)
            ui.note(f"all {len(blocks)} block proofs verified from the genesis root; latest root {digest_hex(trusted)}")
            ui.note(
                f"total {time.perf_counter() - started:.1f} s (circuits {circuits.seconds:.1f} s, proving "
                f"{prove_total:.1f} s)"
            )
            if temporary is None:
                genesis = digest_hex(chain.storage.block(GENESIS_HEIGHT + 1).prev_root)
                ui.note(
                    f"verify again: rollup-verify --vk {chain.vk_path} --chain {chain.proofs_dir} "
                    f"--genesis-root {genesis}"
                )
    finally:
        scratch.cleanup()
        if temporary is not None:
            temporary.cleanup()
    return 0
