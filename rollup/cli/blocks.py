"""The block commands: ``block build``, ``block prove``, ``block show``, ``block export`` and ``reexecute``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.tree import Tree

from rollup.block_plan import BLOCK_NODE, BlockPlan, PlanNode, plan_block
from rollup.cli.chain import open_chain
from rollup.cli.chain_proofs import extend_chain_proof
from rollup.cli.proving import build_circuits, executor_of, prove_and_verify, run_summary, write_vk
from rollup.cli.ui import CliError, Ui, count_text, kb_text, seconds_text, write_output
from rollup.execution import ExecutedSession
from rollup.operations import describe_operation
from verifier.hashing import Digest
from verifier.light_client import BlockStatement, digest_hex
from verifier.serialization import proof_from_bytes

if TYPE_CHECKING:
    from rollup.chain_dir import ChainDirectory
    from rollup.chain_proving import ProvenBlock


def aggregation_tree(plan: BlockPlan, name_of: Callable[[int], str], proofs: dict[str, bytes]) -> Tree:
    """The aggregation tree of a block as a rich Tree, with user names and proof sizes where known."""

    def size(key: str) -> str:
        return f"  [{kb_text(len(proofs[key]))}]" if key in proofs else ""

    def label(node: PlanNode) -> str:
        s = node.statement
        if node.batch is not None:
            what = f"batch at level {s.level}, position {s.position}: {len(node.user_ids)} delegated sessions"
            return f"{node.key}: {what}{size(node.key)}"
        if node.children is None:
            return f"{node.key}: session of {name_of(s.position)} (user {s.position}){size(node.key)}"
        what = f"aggregation at level {s.level}, position {s.position}: {len(node.user_ids)} sessions"
        return f"{node.key}: {what}{size(node.key)}"

    def add(parent: Tree, node: PlanNode) -> None:
        branch = parent.add(label(node))
        for child in node.children or ():
            add(branch, child)

    root = Tree(f"{BLOCK_NODE}: block {plan.number} proof{size(BLOCK_NODE)}")
    add(root, plan.top)
    return root


def stored_plan(chain: ChainDirectory, number: int) -> BlockPlan:
    """The block's aggregation plan, computed natively (no circuits needed)."""
    from rollup.block_proving import batchable_users, stored_block_inputs

    inputs = stored_block_inputs(chain.storage, number, verify=False)
    whitelist: Digest = (0, 0, 0, 0)  # only the statement uses it; take it from the proof when there is one
    proofs = chain.storage.block_proofs(number)
    proof = proofs.get(BLOCK_NODE)
    if proof is not None:
        whitelist = BlockStatement.from_elements(proof_from_bytes(proof).public_inputs).whitelist_root
    batchable = batchable_users(inputs.traces, proofs)
    return plan_block(
        number, inputs.traces, inputs.before.global_tree, whitelist, proven=inputs.proven, batchable=batchable
    )


def cmd_block_build(args: argparse.Namespace, ui: Ui) -> int:
    with open_chain(args, ui) as chain:
        executed = chain.build_block()
        block = executed.block
        ui.note(f"block {block.number}: {count_text(len(block.public_data), 'session')}")
        for item in executed.sessions:
            name = f"{chain.name_of(item.user_id)} (user {item.user_id})"
            if isinstance(item, ExecutedSession):
                ops = ", ".join(describe_operation(op, chain.name_of) for op in item.session.operations)
                ui.note(f"  {name}: {ops}")
            else:
                ui.note(f"  {name}: proven by its user ({count_text(len(item.public_data.appends), 'outbox append')})")
        ui.note(f"  prev root {digest_hex(block.prev_root)}")
        ui.note(f"  new root  {digest_hex(block.new_root)}")
        ui.note(f"prove it with `rollup block prove {block.number}`")
    return 0


def cmd_block_prove(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.locks import prover_lock

    with open_chain(args, ui, lock=False) as chain, prover_lock(chain.path):
        for warning in chain.remove_stale_temporaries():
            ui.warn(warning)
        chain.require_block(args.number)
        circuits = build_circuits(ui)
        write_vk(chain, circuits, ui)

        def show(proven: ProvenBlock) -> None:
            ui.print(aggregation_tree(proven.result.plan, chain.name_of, proven.result.proofs))
            ui.note(run_summary(proven))

        with executor_of(args, ui) as executor:
            (verified,) = prove_and_verify(chain, [args.number], circuits, executor, ui, on_proven=show)
        ui.note(f"light client: valid in {seconds_text(verified.verify_seconds)} (key {chain.vk_path})")
        ui.note(f"  new root {digest_hex(verified.statement.new_root)}")
        extend_chain_proof(chain, ui)
    return 0


def cmd_block_show(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_integrity import check_stored_block

    with open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        proofs = chain.storage.block_proofs(args.number)
        block = check_stored_block(chain.storage, args.number, proofs.get(BLOCK_NODE))
        sessions = chain.storage.block_sessions(args.number)
        executed = {session.user_id for session in sessions}
        own = [entry for entry in block.public_data if entry.user_id not in executed]
        operations = sum(len(s.operations) for s in sessions)
        ui.note(
            f"block {block.number}: {count_text(len(block.public_data), 'session')} "
            f"({count_text(len(own), 'session')} proven by their users, whose operations stay private; "
            f"{count_text(operations, 'operation')} in the others)"
        )
        ui.note(f"  prev root  {digest_hex(block.prev_root)}")
        ui.note(f"  new root   {digest_hex(block.new_root)}")
        ui.note(f"  data root  {digest_hex(block.data_digest)}")
        if BLOCK_NODE in proofs:
            statement = BlockStatement.from_elements(proof_from_bytes(proofs[BLOCK_NODE]).public_inputs)
            ui.note(f"  whitelist  {digest_hex(statement.whitelist_root)}")
        ui.note("sessions:")
        for session in sessions:
            ops = ", ".join(describe_operation(op, chain.name_of) for op in session.operations)
            ui.note(f"  {chain.name_of(session.user_id)} (user {session.user_id}): {ops}")
        for entry in own:
            ui.note(
                f"  {chain.name_of(entry.user_id)} (user {entry.user_id}): proven by its user; deposit "
                f"{entry.deposit}, {count_text(len(entry.appends), 'outbox append')}"
            )
        ui.note("aggregation tree:")
        ui.print(aggregation_tree(stored_plan(chain, args.number), chain.name_of, proofs))
        if not proofs:
            ui.note(f"not proven yet: run `rollup block prove {args.number}`")
            return 0
        kinds = {"session": "session", "agg": "aggregation", "block": "block"}
        for prefix, what in kinds.items():
            sizes = [len(v) for k, v in proofs.items() if k.split("/")[0] == prefix]
            if sizes:
                each = kb_text(sum(sizes) // len(sizes))
                ui.note(f"  {count_text(len(sizes), what + ' proof')}: {kb_text(sum(sizes))} ({each} each)")
        if BLOCK_NODE not in proofs:
            ui.note(f"proving is incomplete: `rollup block prove {args.number}` resumes it")
        elif chain.proof_path(args.number).exists():
            ui.note(f"exported: {chain.proof_path(args.number)}")
    return 0


def cmd_block_export(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.block_data import BlockData, data_path
    from rollup.chain_integrity import verify_stored_block_proof

    with open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        data = chain.storage.block_proofs(args.number).get(BLOCK_NODE)
        if data is None:
            raise CliError(f"block {args.number} is not proven yet: run `rollup block prove {args.number}` first")
        block = chain.storage.block(args.number)
        statement = verify_stored_block_proof(chain.vk_path, block, data)
    out = Path(args.out)
    write_output(out, data, "the block proof")
    write_output(data_path(out), BlockData.of(block).to_bytes(), "the block data")
    ui.note(f"wrote {out} ({kb_text(len(data))}): block {statement.block_number}, and its data {data_path(out)}")
    ui.note(f"  prev root {digest_hex(statement.prev_root)}")
    ui.note(f"  new root  {digest_hex(statement.new_root)}")
    return 0


def cmd_reexecute(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.reexecute import reexecute_block

    with open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        start = time.perf_counter()
        before = chain.storage.load_state(args.number - 1)
        sessions = chain.storage.block_sessions(args.number)
        block = chain.storage.block(args.number)
        loaded = time.perf_counter()
        root = reexecute_block(before, sessions, block.public_data)
        seconds = time.perf_counter() - loaded
        stored = block.new_root
    operations = sum(len(s.operations) for s in sessions)
    ui.note(
        f"re-executed block {args.number} ({count_text(len(sessions), 'session')}, "
        f"{count_text(operations, 'operation')}) in {seconds_text(seconds)} "
        f"(loading the state before it: {seconds_text(loaded - start)})"
    )
    ui.note(f"  root {digest_hex(root)}")
    if root != stored:
        ui.error(f"the stored root of block {args.number} is {digest_hex(stored)}: re-execution disagrees")
        return 1
    ui.note("  matches the stored root")
    return 0
