"""The ``rollup`` command line: build, prove, inspect and verify a chain in a directory.

Every command works on a chain directory (``--dir``, default ``./chain``; see
:mod:`rollup.chain_dir` for its files)::

    rollup demo [--workers N]                 the seed scenario, proven and verified end to end
    rollup run SCENARIO.json [--json]         a scripted chain (format: rollup.scenario)
    rollup init                               create an empty chain
    rollup user add NAME --balance N          register a user in the next block
    rollup send FROM TO AMOUNT                add a send to FROM's session of the next block
    rollup claim NAME                         claim every finalized transfer to NAME
    rollup block build                        finalize the next block
    rollup block prove N [--workers N | --scheduler ADDRESS]
    rollup block show N                       statement, sessions, aggregation tree, proof sizes
    rollup block export N --out FILE          the block proof file (for rollup-verify)
    rollup reexecute N                        the baseline: re-run block N without proofs
    rollup vk --out FILE                      the block verifier key
    rollup balances [--json]
    rollup bench ...                          benchmarks (the repository's bench/, rollup.bench_loader)

Exit status: 0 success, 1 a proof failed to verify (or could not be produced),
2 bad usage or input (the message names the problem), 130 interrupted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from rollup.errors import RollupError
from rollup.operations import Claim, Operation, Register, Send
from rollup.params import DEFAULT_CHAIN_DIR
from rollup.scenario import (
    ScenarioClaim,
    ScenarioSend,
    load_scenario,
    validate_amount,
)
from verifier.hashing import Digest
from verifier.light_client import BlockRejectedError, BlockStatement, digest_hex, verify_block
from verifier.plonk import VerificationError, verify_proof
from verifier.proof import VerifierKey
from verifier.serialization import FormatError, proof_from_bytes, verifier_key_from_bytes, verifier_key_to_bytes

if TYPE_CHECKING:
    from prover.jobs import Executor, Progress, RunResult
    from prover.jobs import Job as ExecutorJob
    from rollup.block_proving import BlockPlan, BlockProof, PlanNode
    from rollup.chain_dir import ChainDirectory
    from rollup.storage import Storage

DEFAULT_WORKERS = 2


class CliError(Exception):
    """A usage or input problem, reported on one line (exit status 2)."""


class VerificationFailedError(Exception):
    """A block proof did not verify (exit status 1)."""


# ----------------------------------------------------------------------------- output


class Ui:
    """Human output on stdout (stderr in --json mode, where stdout carries only the JSON)."""

    def __init__(self, json_mode: bool = False) -> None:
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.out = self.err if json_mode else Console(highlight=False, soft_wrap=True)
        self.json_mode = json_mode

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.out.print(*objects, **kwargs)

    def note(self, text: str) -> None:
        self.out.print(text, markup=False)

    def warn(self, text: str) -> None:
        self.err.print(f"warning: {text}", markup=False, style="yellow")

    def error(self, text: str) -> None:
        self.err.print(f"error: {text}", markup=False, style="red")

    def data(self, document: Any) -> None:
        """The machine-readable result, alone on stdout."""
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        sys.stdout.flush()

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """A spinner on a terminal, one line otherwise, for work without a known length."""
        if self.err.is_terminal:
            with self.err.status(text):
                yield
        else:
            self.err.print(f"{text} ...", markup=False)
            yield


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.1f} ms"


def _count(n: int, noun: str) -> str:
    """``1 session``, ``2 sessions``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} kB"


# ----------------------------------------------------------------------------- helpers


def _chain_path(args: argparse.Namespace) -> Path:
    return Path(args.dir) if args.dir is not None else DEFAULT_CHAIN_DIR


def _open_chain(args: argparse.Namespace, ui: Ui, *, create: bool = False, lock: bool = True) -> ChainDirectory:
    from rollup.chain_dir import ChainDirectory

    chain = ChainDirectory.open(_chain_path(args), create=create, lock=lock)
    for warning in chain.warnings:
        ui.warn(warning)
    return chain


def _write(path: Path, data: bytes, what: str) -> None:
    from rollup.files import FileWriteError, write_atomic

    try:
        write_atomic(path, data)
    except FileWriteError as exc:
        raise CliError(f"cannot write {what}: {exc}") from exc


def _block_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"block number must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"block number must be >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _amount(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CliError(f"{what} must be an integer, got {text!r}") from None
    return validate_amount(value, what)


def describe_operation(op: Operation, name_of: Callable[[int], str]) -> str:
    """One operation of a stored session, with user names."""
    if isinstance(op, Register):
        return f"register with {op.deposit}"
    if isinstance(op, Send):
        return f"send {op.amount} to {name_of(op.recipient)}"
    assert isinstance(op, Claim)
    return f"claim transfer #{op.outbox_index} of {name_of(op.sender_id)}"


# ----------------------------------------------------------------------------- proving and verifying


class _ProgressExecutor:
    """An executor that shows a progress bar for each run of the wrapped one."""

    def __init__(self, inner: Executor, description: str, ui: Ui) -> None:
        self.inner, self.description, self.ui = inner, description, ui

    def run(self, jobs: Sequence[ExecutorJob], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        from prover.jobs import RichProgress, broadcast

        with RichProgress(self.description, console=self.ui.err) as bar:
            return self.inner.run(jobs, retries=retries, progress=broadcast(progress, bar))


@contextmanager
def _executor(args: argparse.Namespace, ui: Ui) -> Iterator[Executor]:
    """A local process pool of ``--workers`` processes, or the Dask cluster of ``--scheduler``."""
    from prover.jobs import DaskExecutor, LocalExecutor

    scheduler = getattr(args, "scheduler", None)
    if scheduler is None:
        yield LocalExecutor(args.workers)
        return
    address = None if scheduler == "local" else scheduler
    where = f"a local Dask cluster of {args.workers} workers" if address is None else f"the Dask scheduler {address}"
    with ui.step(f"connecting to {where}"):
        try:
            dask = DaskExecutor(address, n_workers=args.workers)
        except (OSError, TimeoutError, ValueError) as exc:
            raise CliError(f"cannot use {where}: {exc}") from exc
    with dask:
        yield dask


@dataclass
class Circuits:
    vk: VerifierKey
    vk_bytes: bytes
    seconds: float


def _circuits(ui: Ui) -> Circuits:
    """Build every circuit once in this process (local workers are forked afterwards and inherit them)."""
    from rollup.block_proving import rollup_circuits

    start = time.perf_counter()
    with ui.step("building the rollup circuits (once per process)"):
        circuits = rollup_circuits()
    vk_bytes = verifier_key_to_bytes(circuits.block_verifier_key)
    return Circuits(verifier_key_from_bytes(vk_bytes), vk_bytes, time.perf_counter() - start)


@dataclass
class ProvedBlock:
    number: int
    result: BlockProof
    seconds: float
    path: Path
    proof_bytes: bytes


class _CheckedProofs:
    """The chain's storage as ``prove_stored_block`` sees it, resuming only from stored proofs that
    verify under the current circuits' keys.

    Proofs made by another version of the circuits (or damaged) are hidden, so they are proven
    again and overwritten as the new ones are stored; everything else is the real storage.
    """

    def __init__(self, storage: Storage, ui: Ui) -> None:
        self._storage, self._ui = storage, ui

    def block_proofs(self, number: int) -> dict[str, bytes]:
        from rollup.block_proving import BLOCK_NODE, rollup_circuits

        circuits = rollup_circuits()
        valid: dict[str, bytes] = {}
        for node, data in sorted(self._storage.block_proofs(number).items()):
            try:
                proof = proof_from_bytes(data)
                vk = circuits.block_verifier_key if node == BLOCK_NODE else circuits.child(proof).vk
                verify_proof(vk, proof.proof, proof.public_inputs)
                if tuple(proof.public_inputs[-4:]) != tuple(circuits.blocks.whitelist.root):
                    raise ValueError("it was made for another whitelist of circuits")  # every tree proof ends with it
            except (FormatError, VerificationError, ValueError, IndexError) as exc:
                self._ui.warn(f"block {number}: the stored proof {node} does not verify ({exc}); proving it again")
                continue
            valid[node] = data
        return valid

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


def _prove(chain: ChainDirectory, number: int, executor: Executor, ui: Ui) -> ProvedBlock:
    """Prove a stored block (resuming from the stored proofs that still verify) and export its proof file."""
    from rollup.block_proving import BLOCK_NODE, prove_stored_block

    chain.require_block(number)
    sessions = len(chain.storage.block(number).public_data)
    start = time.perf_counter()
    result = prove_stored_block(
        cast("Storage", _CheckedProofs(chain.storage, ui)),
        number,
        _ProgressExecutor(executor, f"block {number} ({_count(sessions, 'session')})", ui),
    )
    seconds = time.perf_counter() - start
    data = result.proofs[BLOCK_NODE]
    path = chain.proof_path(number)
    _write(path, data, "the block proof")
    return ProvedBlock(number, result, seconds, path, data)


def _light_verify(vk: VerifierKey, proof_file: Path, prev_root: Digest | None) -> tuple[BlockStatement, float]:
    """What ``rollup-verify`` does with the exported file; VerificationFailedError if it rejects."""
    start = time.perf_counter()
    try:
        statement = verify_block(vk, proof_from_bytes(proof_file.read_bytes()), prev_root)
    except (BlockRejectedError, FormatError) as exc:
        raise VerificationFailedError(f"{proof_file}: invalid: {exc}") from exc
    return statement, time.perf_counter() - start


def _write_vk(chain: ChainDirectory, circuits: Circuits, ui: Ui) -> None:
    """Write ``DIR/block.vk``; if it holds another key (other circuits), keep that one aside and say so."""
    old = chain.vk_path.read_bytes() if chain.vk_path.exists() else None
    if old == circuits.vk_bytes:
        return
    if old is not None:
        kept = chain.path / f"block-{hashlib.sha256(old).hexdigest()[:12]}.vk"
        _write(kept, old, "the previous block verifier key")
        ui.warn(
            f"these circuits differ from those that wrote {chain.vk_path} (another version of the software): "
            f"the old key is kept as {kept}; blocks proven before verify only under it, so prove them again "
            "(`rollup block prove N`) to verify the whole chain under the new key"
        )
    _write(chain.vk_path, circuits.vk_bytes, "the block verifier key")


def _run_summary(proved: ProvedBlock) -> str:
    run = proved.result.run
    if run is None:
        return f"block {proved.number}: all proofs were already stored"
    return (
        f"block {proved.number}: {_count(len(run.records), 'proof')} in {_seconds(proved.seconds)} on "
        f"{_count(run.slots, 'worker')} "
        f"(parallel efficiency {run.parallel_efficiency:.0%}); block proof {_kb(len(proved.proof_bytes))} -> "
        f"{proved.path}"
    )


def aggregation_tree(plan: BlockPlan, name_of: Callable[[int], str], proofs: dict[str, bytes]) -> Tree:
    """The aggregation tree of a block as a rich Tree, with user names and proof sizes where known."""
    from rollup.block_proving import BLOCK_NODE

    def size(key: str) -> str:
        return f"  [{_kb(len(proofs[key]))}]" if key in proofs else ""

    def label(node: PlanNode) -> str:
        s = node.statement
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


def _plan(chain: ChainDirectory, number: int) -> BlockPlan:
    """The block's aggregation plan, computed natively (no circuits needed)."""
    from rollup.block_proving import BLOCK_NODE, plan_block
    from rollup.execution import execute_session

    before = chain.storage.load_state(number - 1, verify=False)
    traces = [execute_session(before, s).trace for s in chain.storage.block_sessions(number)]
    whitelist: Digest = (0, 0, 0, 0)  # only the statement uses it; take it from the proof when there is one
    proof = chain.storage.block_proofs(number).get(BLOCK_NODE)
    if proof is not None:
        whitelist = BlockStatement.from_elements(proof_from_bytes(proof).public_inputs).whitelist_root
    return plan_block(number, traces, before.global_tree, whitelist)


# ----------------------------------------------------------------------------- commands: step by step


def cmd_init(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_dir import ChainDirectory

    path = _chain_path(args)
    existed = ChainDirectory.exists(path)
    with _open_chain(args, ui, create=True) as chain:
        if existed:
            ui.note(f"{path} already holds a chain (latest block {chain.latest_block}); nothing changed")
        else:
            ui.note(f"initialised an empty chain in {path}")
            ui.note(f"genesis root {digest_hex(chain.state.root)}")
    return 0


def cmd_user_add(args: argparse.Namespace, ui: Ui) -> int:
    balance = _amount(args.balance, "balance")
    with _open_chain(args, ui) as chain:
        user_id = chain.add_user(args.name, balance)
        chain.save_draft()
        block = chain.sequencer.next_block_number
    ui.note(f"{args.name} is user {user_id}; registration with {balance} queued for block {block}")
    return 0


def cmd_send(args: argparse.Namespace, ui: Ui) -> int:
    amount = _amount(args.amount, "amount")
    with _open_chain(args, ui) as chain:
        try:
            chain.send(args.sender, args.recipient, amount)
        except RollupError as exc:
            raise CliError(f"send {args.sender} -> {args.recipient} {amount} rejected: {exc}") from exc
        chain.save_draft()
        block = chain.sequencer.next_block_number
        count = len(chain.draft.operations(chain.id_of(args.sender)))
    ui.note(f"queued for block {block}: {args.sender} sends {amount} to {args.recipient} ({count} ops in the session)")
    return 0


def cmd_claim(args: argparse.Namespace, ui: Ui) -> int:
    with _open_chain(args, ui) as chain:
        result = chain.claim(args.name)
        chain.save_draft()
        block = chain.sequencer.next_block_number
        for transfer, reason in result.rejected:
            ui.warn(f"transfer #{transfer.record.index} of {chain.name_of(transfer.sender_id)} not claimed: {reason}")
        if not result.claimed:
            ui.note(f"{args.name} has nothing (more) to claim in block {block}")
            return 0
        total = sum(t.record.amount for t in result.claimed)
        senders = ", ".join(f"{t.record.amount} from {chain.name_of(t.sender_id)}" for t in result.claimed)
        ui.note(f"queued for block {block}: {args.name} claims {total} ({senders})")
    return 0


def cmd_block_build(args: argparse.Namespace, ui: Ui) -> int:
    with _open_chain(args, ui) as chain:
        executed = chain.build_block()
        block = executed.block
        ui.note(f"block {block.number}: {_count(len(block.public_data), 'session')}")
        for item in executed.sessions:
            session = item.session
            ops = ", ".join(describe_operation(op, chain.name_of) for op in session.operations)
            ui.note(f"  {chain.name_of(session.user_id)} (user {session.user_id}): {ops}")
        ui.note(f"  prev root {digest_hex(block.prev_root)}")
        ui.note(f"  new root  {digest_hex(block.new_root)}")
        ui.note(f"prove it with `rollup block prove {block.number}`")
    return 0


def cmd_balances(args: argparse.Namespace, ui: Ui) -> int:
    with _open_chain(args, ui, lock=False) as chain:
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
            table.add_row(row.name, *map(str, values))
        table.add_section()
        table.add_row("total", "", str(sum(r.balance for r in rows)), "", "", "", str(sum(r.incoming for r in rows)))
        ui.print(table)
        ui.note("incoming = sent to the user and not claimed yet; total supply = balances + incoming")
        for user_id in chain.draft.user_ids:
            ops = ", ".join(chain.describe_op(op) for op in chain.draft.operations(user_id))
            ui.note(f"pending for block {chain.sequencer.next_block_number}: {chain.name_of(user_id)}: {ops}")
    return 0


# ----------------------------------------------------------------------------- commands: blocks


def cmd_block_prove(args: argparse.Namespace, ui: Ui) -> int:
    with _open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        circuits = _circuits(ui)
        _write_vk(chain, circuits, ui)
        with _executor(args, ui) as executor:
            proved = _prove(chain, args.number, executor, ui)
        ui.print(aggregation_tree(proved.result.plan, chain.name_of, proved.result.proofs))
        ui.note(_run_summary(proved))
        prev = chain.storage.block(args.number).prev_root
        statement, seconds = _light_verify(circuits.vk, proved.path, prev)
        ui.note(f"light client: valid in {_seconds(seconds)} (key {chain.vk_path})")
        ui.note(f"  new root {digest_hex(statement.new_root)}")
    return 0


def cmd_block_show(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.block_proving import BLOCK_NODE

    with _open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        block = chain.storage.block(args.number)
        sessions = chain.storage.block_sessions(args.number)
        proofs = chain.storage.block_proofs(args.number)
        operations = sum(len(s.operations) for s in sessions)
        ui.note(f"block {block.number}: {_count(len(sessions), 'session')}, {_count(operations, 'operation')}")
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
        ui.note("aggregation tree:")
        ui.print(aggregation_tree(_plan(chain, args.number), chain.name_of, proofs))
        if not proofs:
            ui.note(f"not proven yet: run `rollup block prove {args.number}`")
            return 0
        kinds = {"session": "session", "agg": "aggregation", "block": "block"}
        for prefix, what in kinds.items():
            sizes = [len(v) for k, v in proofs.items() if k.split("/")[0] == prefix]
            if sizes:
                each = _kb(sum(sizes) // len(sizes))
                ui.note(f"  {_count(len(sizes), what + ' proof')}: {_kb(sum(sizes))} ({each} each)")
        if BLOCK_NODE not in proofs:
            ui.note(f"proving is incomplete: `rollup block prove {args.number}` resumes it")
        elif chain.proof_path(args.number).exists():
            ui.note(f"exported: {chain.proof_path(args.number)}")
    return 0


def cmd_block_export(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.block_proving import BLOCK_NODE
    from rollup.chain_integrity import verify_stored_block_proof

    with _open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        data = chain.storage.block_proofs(args.number).get(BLOCK_NODE)
        if data is None:
            raise CliError(f"block {args.number} is not proven yet: run `rollup block prove {args.number}` first")
        statement = verify_stored_block_proof(chain.vk_path, chain.storage.block(args.number), data)
    out = Path(args.out)
    _write(out, data, "the block proof")
    ui.note(f"wrote {out} ({_kb(len(data))}): block {statement.block_number}")
    ui.note(f"  prev root {digest_hex(statement.prev_root)}")
    ui.note(f"  new root  {digest_hex(statement.new_root)}")
    return 0


def cmd_reexecute(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.reexecute import reexecute_block

    with _open_chain(args, ui, lock=False) as chain:
        chain.require_block(args.number)
        start = time.perf_counter()
        before = chain.storage.load_state(args.number - 1)
        sessions = chain.storage.block_sessions(args.number)
        loaded = time.perf_counter()
        root = reexecute_block(before, sessions)
        seconds = time.perf_counter() - loaded
        stored = chain.storage.block(args.number).new_root
    operations = sum(len(s.operations) for s in sessions)
    ui.note(
        f"re-executed block {args.number} ({_count(len(sessions), 'session')}, {_count(operations, 'operation')}) "
        f"in {_seconds(seconds)} "
        f"(loading the state before it: {_seconds(loaded - start)})"
    )
    ui.note(f"  root {digest_hex(root)}")
    if root != stored:
        ui.error(f"the stored root of block {args.number} is {digest_hex(stored)}: re-execution disagrees")
        return 1
    ui.note("  matches the stored root")
    return 0


def cmd_vk(args: argparse.Namespace, ui: Ui) -> int:
    circuits = _circuits(ui)
    out = Path(args.out)
    _write(out, circuits.vk_bytes, "the verifier key")
    ui.note(f"wrote {out} ({_kb(len(circuits.vk_bytes))}): the block verifier key (built in {circuits.seconds:.1f} s)")
    return 0


# ----------------------------------------------------------------------------- commands: demo and run


def cmd_demo(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_dir import fresh_chain
    from rollup.reexecute import reexecute_block
    from rollup.seed import (
        SEED_START_BALANCE,
        SEED_TRANSFERS,
        SEED_USERS,
        balance_rows,
        balance_table,
        run_seed_scenario,
    )

    started = time.perf_counter()
    temporary = tempfile.TemporaryDirectory(prefix="rollup-demo-") if args.dir is None else None
    directory = Path(temporary.name) if temporary is not None else Path(args.dir)
    try:
        with fresh_chain(directory) as chain:
            chain.set_users(SEED_USERS)
            blocks = run_seed_scenario(chain.sequencer)
            names = ", ".join(SEED_USERS)
            ui.note(f"Seed scenario in {directory}{' (temporary)' if temporary else ''}")
            ui.note(f"  block 0: register {names} with {SEED_START_BALANCE} each")
            ui.note("  block 1: " + ", ".join(f"{a} -> {b} {n}" for a, b, n in SEED_TRANSFERS))
            ui.note("  block 2: every recipient claims what was sent to it")
            circuits = _circuits(ui)
            _write_vk(chain, circuits, ui)
            ui.note(
                f"circuits built in {circuits.seconds:.1f} s; proving {len(blocks)} blocks with {args.workers} workers"
            )
            timings = Table(title="Timings")
            for column in ("block", "sessions", "proofs", "prove", "verify", "re-execute"):
                timings.add_column(column, justify="right")
            trusted = chain.storage.block(0).prev_root
            prove_total = 0.0
            with _executor(args, ui) as executor:
                for executed in blocks:
                    number = executed.block.number
                    proved = _prove(chain, number, executor, ui)
                    ui.print(aggregation_tree(proved.result.plan, chain.name_of, proved.result.proofs))
                    statement, verify_seconds = _light_verify(circuits.vk, proved.path, trusted)
                    trusted = statement.new_root
                    before = chain.storage.load_state(number - 1)
                    sessions = chain.storage.block_sessions(number)
                    start = time.perf_counter()
                    reexecute_block(before, sessions)
                    reexecute_seconds = time.perf_counter() - start
                    prove_total += proved.seconds
                    ui.note(_run_summary(proved))
                    ui.note(f"block {number}: light client says valid in {_seconds(verify_seconds)}")
                    timings.add_row(
                        str(number),
                        str(len(sessions)),
                        str(len(proved.result.proofs)),
                        _seconds(proved.seconds),
                        _seconds(verify_seconds),
                        _seconds(reexecute_seconds),
                    )
            ui.print(balance_table(balance_rows(chain.state)))
            ui.print(timings)
            ui.note(f"all {len(blocks)} block proofs verified from the genesis root; latest root {digest_hex(trusted)}")
            ui.note(
                f"total {time.perf_counter() - started:.1f} s (circuits {circuits.seconds:.1f} s, proving "
                f"{prove_total:.1f} s)"
            )
            if temporary is None:
                genesis = digest_hex(chain.storage.block(0).prev_root)
                ui.note(
                    f"verify again: rollup-verify --vk {chain.vk_path} --chain {chain.proofs_dir} "
                    f"--genesis-root {genesis}"
                )
    finally:
        if temporary is not None:
            temporary.cleanup()
    return 0


@dataclass
class _RunBlock:
    number: int
    prev_root: Digest
    new_root: Digest
    path: Path | None = None


def _apply_scenario_block(
    chain: ChainDirectory, index: int, ops: Sequence[ScenarioSend | ScenarioClaim], report: Callable[[str], None]
) -> None:
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
    circuits = _circuits(ui)
    _write_vk(chain, circuits, ui)
    trusted = runs[0].prev_root
    with _executor(args, ui) as executor:
        for item in runs:
            proved = _prove(chain, item.number, executor, ui)
            ui.note(_run_summary(proved))
            statement, _ = _light_verify(circuits.vk, proved.path, trusted)
            trusted = statement.new_root
            item.path = proved.path
    ui.note(f"all {len(runs)} block proofs verify from the genesis root (key: {chain.vk_path})")


def cmd_run(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_dir import fresh_chain

    scenario = load_scenario(args.scenario)
    directory = _chain_path(args)
    with fresh_chain(directory) as chain:
        for name, balance in scenario.users.items():
            chain.add_user(name, balance)
        built = [chain.build_block().block]
        ui.note(f"block 0: registered {len(scenario.users)} users")
        for index, ops in enumerate(scenario.blocks):
            _apply_scenario_block(chain, index, ops, ui.warn)
            if chain.draft.is_empty():
                ui.warn(f"scenario block {index}: no valid operation, so no block was built")
                continue
            block = chain.build_block().block
            built.append(block)
            ui.note(f"block {block.number} (scenario block {index}): {_count(len(block.public_data), 'session')}")
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
        for name, balance in balances.items():
            table.add_row(name, str(balance))
        ui.print(table)
    return 0


def cmd_bench(argv: Sequence[str], ui: Ui) -> int:
    """``rollup bench``: delegated to the repository's ``bench/`` suite, found by :mod:`rollup.bench_loader`."""
    from rollup.bench_loader import BenchUnavailableError, load_bench_main

    try:
        bench_main = load_bench_main(argv)
    except BenchUnavailableError as exc:
        ui.error(str(exc))
        return 2
    try:
        result = bench_main(list(argv))
    except SystemExit as exc:  # its argument parser: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    return int(result or 0)


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollup",
        description="Build, prove and inspect a zk-rollup chain (a directory holding rollup.sqlite).",
        epilog="Verify block proofs as a light client with `rollup-verify`. See docs/user-guide.md.",
    )
    dir_help = f"chain directory (default: ./{DEFAULT_CHAIN_DIR})"
    parser.add_argument("--dir", default=None, help=dir_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default=argparse.SUPPRESS, help=dir_help)
    proving = argparse.ArgumentParser(add_help=False)
    proving.add_argument(
        "--workers", type=_positive, default=DEFAULT_WORKERS, help="local prover processes (default: 2)"
    )
    proving.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="prove on the Dask cluster of this scheduler (tcp://host:8786), or 'local' for a local Dask cluster",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        parent: Any, name: str, handler: Callable[[argparse.Namespace, Ui], int], text: str, *parents: Any
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=text, description=text, parents=[common, *parents])
        sub.set_defaults(handler=handler)
        return sub

    command(
        commands,
        "demo",
        cmd_demo,
        "run the seed scenario end to end: prove and verify each block "
        "(in a temporary chain unless --dir names a new one)",
        proving,
    )
    run = command(
        commands, "run", cmd_run, "run a scripted chain from a scenario file, prove and export every block", proving
    )
    run.add_argument("scenario", help="scenario JSON file (see docs/user-guide.md)")
    run.add_argument("--json", action="store_true", help="print balances and blocks as JSON on stdout")
    run.add_argument("--no-prove", action="store_true", help="build the blocks natively only (prove them later)")
    command(commands, "init", cmd_init, "create an empty chain")
    user = commands.add_parser("user", help="manage users", description="manage users")
    user_commands = user.add_subparsers(dest="user_command", metavar="COMMAND", required=True)
    add = command(user_commands, "add", cmd_user_add, "register a user (with its deposit) in the next block")
    add.add_argument("name")
    add.add_argument("--balance", required=True, help="starting balance (public deposit)")
    send = command(commands, "send", cmd_send, "add a send to the sender's session of the next block")
    send.add_argument("sender", metavar="FROM")
    send.add_argument("recipient", metavar="TO")
    send.add_argument("amount", metavar="AMOUNT")
    claim = command(commands, "claim", cmd_claim, "claim every finalized transfer addressed to a user")
    claim.add_argument("name")
    block = commands.add_parser("block", help="build, prove, show and export blocks", description="blocks")
    block_commands = block.add_subparsers(dest="block_command", metavar="COMMAND", required=True)
    command(block_commands, "build", cmd_block_build, "finalize the pending operations as the next block")
    prove = command(block_commands, "prove", cmd_block_prove, "prove a block (resumes from stored proofs)", proving)
    prove.add_argument("number", type=_block_number, metavar="N")
    show = command(block_commands, "show", cmd_block_show, "show a block: statement, sessions, tree, proof sizes")
    show.add_argument("number", type=_block_number, metavar="N")
    export = command(block_commands, "export", cmd_block_export, "write a block's proof file")
    export.add_argument("number", type=_block_number, metavar="N")
    export.add_argument("--out", required=True, metavar="FILE")
    reexecute = command(commands, "reexecute", cmd_reexecute, "re-execute a block without proofs (the baseline)")
    reexecute.add_argument("number", type=_block_number, metavar="N")
    vk = command(commands, "vk", cmd_vk, "write the block verifier key")
    vk.add_argument("--out", required=True, metavar="FILE")
    balances = command(commands, "balances", cmd_balances, "show every user's balance")
    balances.add_argument("--json", action="store_true", help="print JSON on stdout")
    # `rollup bench ARGS` is dispatched before parsing (see main); this entry is for the help text
    bench = commands.add_parser("bench", help="run the benchmarks (options: rollup bench --help)", add_help=False)
    bench.set_defaults(handler=lambda args, ui: cmd_bench([], ui))
    return parser


def _bench_arguments(arguments: list[str]) -> list[str] | None:
    """The arguments after ``bench`` when the command is ``rollup [--dir DIR] bench ...``, else None."""
    i = 0
    while i < len(arguments) and (arguments[i] == "--dir" or arguments[i].startswith("--dir=")):
        i += 2 if arguments[i] == "--dir" else 1
    return arguments[i + 1 :] if arguments[i : i + 1] == ["bench"] else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rollup``; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    bench = _bench_arguments(arguments)
    if bench is not None:
        return cmd_bench(bench, Ui())
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else 2
    ui = Ui(json_mode=bool(getattr(args, "json", False)))
    handler: Callable[[argparse.Namespace, Ui], int] = args.handler
    try:
        return handler(args, ui)
    except VerificationFailedError as exc:
        ui.error(str(exc))
        return 1
    except (CliError, RollupError, FormatError) as exc:
        ui.error(str(exc))
        block_proving = sys.modules.get("rollup.block_proving")
        return 1 if block_proving is not None and isinstance(exc, block_proving.BlockProvingError) else 2
    except KeyboardInterrupt:
        ui.error("interrupted (stored proofs are kept; `rollup block prove N` resumes)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
