"""Proving CPU per transaction in sparse traffic: one proof per session against batches, in one run.

``python -m bench.sparse_batches [--users N ...] [--out DIR]`` (from the repository root) prints a
Markdown table and writes ``DIR/sparse_batches.json`` (default ``docs/bench``; docs/benchmarks.md
records one run).

The block: ``N`` delegated users with consecutive ids (as a chain directory and the node number them)
each sending once, the operator proving every session (delegated proving). It is proven twice in this
process by :func:`rollup.block_proving.prove_block` (plan, leaves, aggregations, block proof, one job at a
time in process), each time from scratch:

* *per session* (``batch=False``, the path before batches): one small session proof (2^9 rows) per user
  and one aggregation (2^13) per session but one;
* *batches*: the sessions of each subtree of height ``BATCH_LEVEL`` in one batch proof (2^13), then the
  aggregations of the batches.

Each figure is process CPU time (``time.process_time``); the circuits are built before timing. End to end
it is the whole block over its transactions (block proof included). The steady state of a large block,
where the block proof is amortised away and n leaves take n - 1 aggregations, is timed proof by proof:
per session, (one small session proof + one aggregation of two of them) per transaction; batched,
(one batch proof of ``BATCH_SESSIONS`` sessions + one aggregation of two batches) / ``BATCH_SESSIONS``.
The machine's load average is printed before and after.
Own-proven sessions are never batched (the operator does not hold their witness): sparse traffic of
own-proven sessions costs the per-session figure, the user's session proof included.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from circuits.recursion.aggregation import ChildProof
from rollup.block_plan import NodeStatement, plan_block, session_statement, siblings_of
from rollup.block_proving import RollupCircuits, batchable_users, prove_block, rollup_circuits
from rollup.execution import execute_session
from rollup.keys import KeyRing
from rollup.params import BATCH_SESSIONS
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.smt import SparseMerkleTree
from rollup.witness import SessionTrace
from rollup.workload import register_users

DEFAULT_USERS = (32,)
DEPOSIT = 1000
TARGET_SPARSE_S = 0.5
"""Issue 16's target: proving CPU per transaction with one operation per user per block."""
Row = dict[str, Any]
T = TypeVar("T")


def one_send_block(users: int) -> tuple[list[SessionTrace], SparseMerkleTree, int]:
    """Traces of ``users`` one-send sessions (user i sends to i + 1, ids 1..users), the global tree they
    read and their block's number."""
    ids = list(range(1, users + 2))
    sequencer = Sequencer.in_memory()
    keys: KeyRing[int] = KeyRing()
    register_users(sequencer, ids, DEPOSIT, keys)
    state = sequencer.state
    sessions = [SessionBuilder(state, u, keys.secret(u)).send(u + 1, 1).build() for u in ids[:-1]]
    traces = [execute_session(state, session).trace for session in sessions]
    return traces, state.global_tree, state.block_number + 1


def proven_block_row(users: int) -> Row:
    """CPU of the block of ``users`` one-send sessions, per session and batched, and its proofs by kind."""
    traces, tree, number = one_send_block(users)
    row: Row = {"users": users}
    for name, batch in (("per_session", False), ("batches", True)):
        start = time.process_time()
        result = prove_block(number, traces, tree, batch=batch)
        seconds = time.process_time() - start
        nodes = result.plan.nodes()
        row[name] = {
            "cpu_s": seconds,
            "per_tx_s": seconds / users,
            "batch_proofs": sum(node.batch is not None for node in nodes),
            "session_proofs": sum(node.trace is not None for node in nodes),
            "aggregation_proofs": sum(node.children is not None for node in nodes),
        }
    return row


def cpu(fn: Callable[[], T]) -> tuple[float, T]:
    """(process CPU seconds of ``fn()``, its result)."""
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def steady_state_row(circuits: RollupCircuits) -> Row:
    """Per transaction with the block proof amortised away: a leaf and one aggregation per leaf, timed
    proof by proof on a block of one-send sessions filling two subtrees of height ``BATCH_LEVEL``
    (user ids 1..2 * BATCH_SESSIONS - 1: the first subtree lacks user 0)."""
    traces, tree, number = one_send_block(2 * BATCH_SESSIONS - 1)
    root = circuits.blocks.whitelist.root

    def aggregation_s(children: Sequence[ChildProof]) -> float:
        left, right = children
        sib = [siblings_of(tree, NodeStatement.from_elements(c.proof.public_inputs)) for c in children]
        return cpu(functools.partial(circuits.blocks.aggregate, left, right, sib[0], sib[1]))[0]

    small = circuits.session_for(traces[0])
    session_s, sessions = 0.0, []
    for trace in traces[:2]:
        session_s, proof = cpu(functools.partial(small.prove, trace, session_statement(trace), root))
        sessions.append(ChildProof(proof, small.data.verifier_key))
    plan = plan_block(number, traces, tree, root, batchable=batchable_users(traces, {}))
    batches = sorted((node.batch for node in plan.nodes() if node.batch is not None), key=lambda b: b.position)
    batch_s, proofs = 0.0, []
    for batch in batches:  # the last one, of BATCH_SESSIONS sessions, is the one timed
        batch_s, proof = cpu(functools.partial(circuits.batch.prove, batch, root))
        proofs.append(ChildProof(proof, circuits.batch.verifier_key))
    session_aggregation_s, batch_aggregation_s = aggregation_s(sessions), aggregation_s(proofs)
    sessions_per_batch = len(batches[-1].traces)
    return {
        "session_s": session_s,
        "session_aggregation_s": session_aggregation_s,
        "per_session_per_tx_s": session_s + session_aggregation_s,
        "batch_sessions": sessions_per_batch,
        "batch_s": batch_s,
        "batch_aggregation_s": batch_aggregation_s,
        "batches_per_tx_s": (batch_s + batch_aggregation_s) / sessions_per_batch,
    }


def markdown(steady: Row, rows: Sequence[Row], load: tuple[str, str]) -> str:
    k = steady["batch_sessions"]
    lines = [
        f"load average (1, 5, 15 min) before: {load[0]}; after: {load[1]}",
        "",
        "| steady state, one send per user, delegated | leaf (s) | aggregation (s) | per tx (s) |",
        "|---|---:|---:|---:|",
        f"| one proof per session: (session + aggregation) / 1 | {steady['session_s']:.3f} | "
        f"{steady['session_aggregation_s']:.3f} | {steady['per_session_per_tx_s']:.3f} |",
        f"| batches: (batch of {k} + aggregation) / {k} | {steady['batch_s']:.3f} | "
        f"{steady['batch_aggregation_s']:.3f} | {steady['batches_per_tx_s']:.3f} |",
        f"| issue 16's target | | | at most {TARGET_SPARSE_S} |",
        "",
        "| end to end, one send per user, delegated | proofs (batch / session / aggregation) | block CPU (s) "
        "| per tx (s) |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        for name, label in (("per_session", "one proof per session"), ("batches", "batches")):
            r = row[name]
            proofs = f"{r['batch_proofs']} / {r['session_proofs']} / {r['aggregation_proofs']}"
            lines.append(f"| {row['users']} users, {label} | {proofs} | {r['cpu_s']:.2f} | {r['per_tx_s']:.3f} |")
    return "\n".join(lines)


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, nargs="*", default=list(DEFAULT_USERS))
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    args = parser.parse_args(argv)
    rollup_circuits()  # built once, before timing
    before = load_average()
    steady = steady_state_row(rollup_circuits())
    rows = [proven_block_row(users) for users in args.users]
    load = (before, load_average())
    args.out.mkdir(parents=True, exist_ok=True)
    document = {"load_average": {"before": load[0], "after": load[1]}, "steady_state": steady, "blocks": rows}
    (args.out / "sparse_batches.json").write_text(json.dumps(document, indent=1) + "\n")
    print(markdown(steady, rows, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
