"""Proving CPU per transaction with sessions sized to their traffic, old and new side by side in one run.

``python -m bench.sized_sessions [--repeat N] [--ops N ...] [--sparse-users N] [--out DIR]`` (from the
repository root) prints Markdown tables and writes ``DIR/sized_sessions.json`` and
``DIR/cpu_per_transaction.png`` (default ``docs/bench``; docs/benchmarks.md records one run).

*Old* is the block tree before sized sessions: every session proven by a 32-slot session circuit padded
to the tree's 2^13 rows (zero-knowledge leaf shape), whatever its number of operations, and aggregated by
the variant taking two such leaves. *New* is the tree of :func:`rollup.block_proving.rollup_circuits`: a
session of at most 3 operations is proven by the small session circuit (2^9 rows), a larger one of at most 49
sends only by the medium send session (49 send-only slots, 2^11 rows), a larger one of sends only by the full
send session (204 send-only slots, 2^13 rows), one whose claims are all among its first 16 operations by the
mixed full session (16 slots of any kind then 155 send-only slots, 2^13 rows), any other by the full circuit
(67 slots of any kind, 2^13 rows), each pair aggregated by the variant of its shapes.

Measured (process CPU seconds, best of ``--repeat``, :mod:`bench.timing`):

* the session proof of one session of k sends, old and new, for each k of ``--ops``;
* the aggregation of two sessions of each shape (the variant of their shapes; every variant proves
  in the tree's 2^13 shape, so an aggregation of aggregations costs about the same);
* per transaction in the steady state of a large block, where n sessions take n - 1 aggregations and
  the block proof is amortised away: ``(session(k) + aggregation(k)) / k``;
* the medium send session: for each k of ``--ops`` it proves, the same session by the full send session
  (what it cost before the medium session) and by the medium one, with the aggregation of two proofs of
  each, per transaction;
* full sessions, old and new: the full session of any slots holding its ``SESSION_SLOTS`` operations (what
  every full session cost before slot kinds, and what a full session with claims past the mixed session's
  prefix still costs: the same circuit and rows) against the full send session holding its
  ``SEND_SESSION_SLOTS`` sends, and mixed traffic: the full session holding ``MIXED_ANY_SLOTS`` claims and
  ``SESSION_SLOTS - MIXED_ANY_SLOTS`` sends (what a full session with claims cost before the mixed session)
  against the mixed full session holding ``MIXED_ANY_SLOTS`` claims and the rest of its
  ``MIXED_SESSION_SLOTS`` slots in sends (171 operations do not fit 67 slots, so they are compared per
  transaction), each with the aggregation of two proofs of its circuit, per transaction;
* end to end, sparse traffic: a block of ``--sparse-users`` users with one send each, proven in this
  process by :func:`rollup.block_proving.prove_block` (plan, sessions, aggregations, block proof),
  its whole CPU time over its transactions, with the new sizing and with every session in the full
  shape (the old tree's sizing, but with the 67-slot circuit: a little more witness work than 32 slots);
* the start-up cost: building every circuit and key of the block tree, which each worker process does
  once, new (five session circuits, sixteen aggregation circuits, three lifts) and old (one, four, one).
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen first

from bench.timing import CPU, best_seconds
from bench.workload import send_block
from circuits.recursion.aggregation import AggregationScheme, ChildProof
from rollup.block_plan import NodeStatement, session_statement, siblings_of
from rollup.block_proving import RollupCircuits, prove_block, rollup_circuits
from rollup.circuits.block import BlockCircuits
from rollup.circuits.session import SessionCircuit
from rollup.execution import execute_session
from rollup.operations import Send
from rollup.params import (
    GLOBAL_TREE_DEPTH,
    MEDIUM_SEND_SESSION_SLOTS,
    MIXED_ANY_SLOTS,
    SEND_SESSION_SLOTS,
    SESSION_SLOTS,
)
from rollup.session import SessionBuilder
from rollup.session_proving import operation_count
from rollup.slot_layout import (
    FULL_SESSION_LAYOUT,
    MEDIUM_SEND_SESSION_LAYOUT,
    MIXED_SESSION_LAYOUT,
    SEND_SESSION_LAYOUT,
    SlotLayout,
)
from rollup.smt import SparseMerkleTree
from rollup.witness import ClaimStep, SessionTrace
from verifier.proof import CommonData, VerifierKey

OLD_SESSION_SLOTS = 32
"""Slots of the block tree's one session circuit before sessions were sized (at 2^13 rows)."""
DEFAULT_OPS = (1, 2, 3, 4, 8, 16, 32, SESSION_SLOTS, SEND_SESSION_SLOTS)
TARGET_SPARSE_S = 0.5
"""Issue 16's target: proving CPU per transaction with one operation per user per block."""
TARGET_FULL_S = 0.05
"""Issue 16's target: proving CPU per transaction in full sessions."""
PLOT_DPI = 110
Row = dict[str, Any]


def traces_of_block(sessions: int, ops: int) -> tuple[list[SessionTrace], SparseMerkleTree, int]:
    """Traces of ``sessions`` sessions of ``ops`` sends each on a fresh benchmark chain, the global tree
    they read and their block's number."""
    block = send_block(sessions * ops, ops_per_session=ops)
    traces = [execute_session(block.state, session).trace for session in block.sessions]
    return traces, block.state.global_tree, block.state.block_number + 1


def claiming_trace(claims: int, sends: int) -> SessionTrace:
    """The trace of a session of ``claims`` claims (of the transfers one user sent it in the block before, in
    the session's first operations) then ``sends`` sends, on a fresh benchmark chain."""
    block = send_block(claims, ops_per_session=claims)
    block.finalize()
    state = block.state
    first = block.sessions[0].operations[0]
    assert isinstance(first, Send)
    sender, user = block.sessions[0].user_id, first.recipient
    builder = SessionBuilder(state, user, block.keys.secret(user))
    for index in range(claims):
        builder.claim(sender, index)
    for k in range(sends):
        builder.send(sender, 1 + k % 7)
    return execute_session(state, builder.build()).trace


def claim_count(trace: SessionTrace) -> int:
    """The claims of a trace."""
    return sum(isinstance(step, ClaimStep) for step in trace.steps)


def old_leaf_keys(scheme: AggregationScheme, tree: CommonData) -> list[VerifierKey]:
    """The old tree's leaves: one 32-slot session circuit in the 2^13-row zero-knowledge leaf shape."""
    return [old_session_circuit(scheme, tree).data.verifier_key]


def old_session_circuit(scheme: AggregationScheme, tree: CommonData) -> SessionCircuit:
    shape = scheme.zk_leaf_shape(tree.degree_bits)
    return SessionCircuit.build(SlotLayout.of_any(OLD_SESSION_SLOTS), shape.config, tree_shape=shape)


def timed(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def session_seconds(circuit: SessionCircuit, trace: SessionTrace, circuits: RollupCircuits, repeat: int) -> float:
    """CPU of the session proof of ``trace`` by ``circuit``."""
    prove = functools.partial(circuit.prove, trace, session_statement(trace), circuits.blocks.whitelist.root)
    prove()  # kernels loaded before timing
    return best_seconds(prove, repeat, CPU)


def aggregation_seconds(circuits: RollupCircuits, circuit: SessionCircuit, ops: int, repeat: int) -> float:
    """CPU of the aggregation of two sessions of ``ops`` sends proven by ``circuit`` (by the variant
    taking two children of its shape; its cost depends on the shapes only, not on the session circuit)."""
    blocks = circuits.blocks
    traces, tree, _ = traces_of_block(2, ops)
    root = blocks.whitelist.root
    children = [ChildProof(circuit.prove(t, session_statement(t), root), circuit.data.verifier_key) for t in traces]
    siblings = [siblings_of(tree, NodeStatement.from_elements(c.proof.public_inputs)) for c in children]
    aggregate = functools.partial(blocks.aggregate, children[0], children[1], siblings[0], siblings[1])
    aggregate()  # kernels loaded before timing
    return best_seconds(aggregate, repeat, CPU)


def per_operation_rows(
    circuits: RollupCircuits, aggregations: dict[int, float], all_ops: Sequence[int], repeat: int
) -> list[Row]:
    """Old and new session and aggregation CPU, and the steady-state CPU per transaction, for each k.
    The old aggregation takes two full-shape children (the old tree's only leaf shape): it is measured
    with the whitelisted full circuit's proofs, the old 32-slot key not being in the whitelist."""
    old = old_session_circuit(circuits.blocks.scheme, circuits.blocks.aggregation.shape)
    old_aggregation_s = aggregations[circuits.session(FULL_SESSION_LAYOUT).num_slots]
    rows = []
    for ops in all_ops:
        trace = traces_of_block(1, ops)[0][0]
        new = circuits.session_for(trace)
        row: Row = {"ops": ops, "new_rows_log2": new.degree_bits}
        if ops <= OLD_SESSION_SLOTS:
            row["old_session_s"] = session_seconds(old, trace, circuits, repeat)
            row["old_aggregation_s"] = old_aggregation_s
            row["old_per_tx_s"] = (row["old_session_s"] + old_aggregation_s) / ops
        row["new_session_s"] = session_seconds(new, trace, circuits, repeat)
        row["new_aggregation_s"] = aggregations[new.num_slots]
        row["new_per_tx_s"] = (row["new_session_s"] + row["new_aggregation_s"]) / ops
        rows.append(row)
    return rows


def aggregations_by_circuit(circuits: RollupCircuits, repeat: int) -> dict[int, float]:
    """CPU of the aggregation of two proofs of each session circuit of the tree, by its slots (distinct)."""
    return {circuit.num_slots: aggregation_seconds(circuits, circuit, 1, repeat) for circuit in circuits.sessions}


def full_session_rows(circuits: RollupCircuits, aggregations: dict[int, float], repeat: int) -> list[Row]:
    """Each 2^13 session circuit of the tree proving a session as full as its slots: the full session of any
    slots with sends only (old) and the full send session (new); with MIXED_ANY_SLOTS claims first, the full
    session (old) and the mixed full session (new). Per transaction, (session + one aggregation) / operations."""
    send, mixed, full = (
        circuits.session(layout) for layout in (SEND_SESSION_LAYOUT, MIXED_SESSION_LAYOUT, FULL_SESSION_LAYOUT)
    )
    cases = (
        ("any", full, traces_of_block(1, full.num_slots)[0][0]),
        ("send", send, traces_of_block(1, send.num_slots)[0][0]),
        ("any, claims", full, claiming_trace(MIXED_ANY_SLOTS, full.num_slots - MIXED_ANY_SLOTS)),
        ("mixed", mixed, claiming_trace(MIXED_ANY_SLOTS, mixed.num_slots - MIXED_ANY_SLOTS)),
    )
    rows = []
    for kind, circuit, trace in cases:
        ops = operation_count(trace)
        session_s = session_seconds(circuit, trace, circuits, repeat)
        aggregation_s = aggregations[circuit.num_slots]
        row: Row = {"kind": kind, "ops": ops, "claims": claim_count(trace), "session_s": session_s}
        row |= {"aggregation_s": aggregation_s, "per_tx_s": (session_s + aggregation_s) / ops}
        rows.append(row)
    return rows


def sparse_block_row(circuits: RollupCircuits, users: int) -> Row:
    """A block of ``users`` one-send sessions proven end to end, new sizing and all-full sizing."""
    traces, tree, number = traces_of_block(users, 1)
    prove = functools.partial(prove_block, number, traces, tree)
    new_s = timed(prove)
    full = circuits.session(FULL_SESSION_LAYOUT)
    with mock.patch.object(RollupCircuits, "session_for", lambda self, trace: full):
        all_full_s = timed(prove)
    return {"users": users, "new_s": new_s, "all_full_s": all_full_s}


def build_rows(circuits: RollupCircuits, new_build_s: float) -> Row:
    """Start-up: the new tree's build (measured on first use) and the old tree's, in this process, and what
    the new tree builds."""
    old_build_s = timed(lambda: BlockCircuits.build(GLOBAL_TREE_DEPTH, old_leaf_keys))
    blocks = circuits.blocks
    counts = {"sessions": len(circuits.sessions), "variants": len(blocks.aggregations) - 1, "lifts": len(blocks.lifts)}
    return {"new_s": new_build_s, "old_s": old_build_s, **counts}


def medium_session_rows(
    circuits: RollupCircuits, aggregations: dict[int, float], all_ops: Sequence[int], repeat: int
) -> list[Row]:
    """For each k of ``all_ops`` the medium send session proves: the session of k sends by the full send session
    (old: the circuit such a session took before the medium one) and by the medium send session (new), each with
    the aggregation of two proofs of its circuit, per transaction."""
    medium, send = (circuits.session(layout) for layout in (MEDIUM_SEND_SESSION_LAYOUT, SEND_SESSION_LAYOUT))
    rows = []
    for ops in all_ops:
        trace = traces_of_block(1, ops)[0][0]
        if circuits.session_for(trace) is not medium:
            continue
        row: Row = {"ops": ops}
        for side, circuit in (("old", send), ("new", medium)):
            session_s = session_seconds(circuit, trace, circuits, repeat)
            aggregation_s = aggregations[circuit.num_slots]
            row |= {f"{side}_session_s": session_s, f"{side}_aggregation_s": aggregation_s}
            row[f"{side}_per_tx_s"] = (session_s + aggregation_s) / ops
        rows.append(row)
    return rows


def plot(rows: Sequence[Row], full_rows: Sequence[Row], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    old = [(r["ops"], r["old_per_tx_s"]) for r in rows if "old_per_tx_s" in r]
    new = [(r["ops"], r["new_per_tx_s"]) for r in rows]
    ax.loglog(
        [x for x, _ in old], [y for _, y in old], "o-", label=f"old: every session 2^13 rows, {OLD_SESSION_SLOTS} slots"
    )
    ax.loglog(
        [x for x, _ in new],
        [y for _, y in new],
        "s-",
        label=f"new: 3 slots in 2^9 rows, {MEDIUM_SEND_SESSION_SLOTS} send-only in 2^11, {SEND_SESSION_SLOTS} in 2^13",
    )
    for r in full_rows:
        if r["kind"] == "any, claims":
            ax.loglog([r["ops"]], [r["per_tx_s"]], "D", label=f"full session of {r['ops']} slots of any kind (claims)")
        if r["kind"] == "mixed":
            ax.loglog([r["ops"]], [r["per_tx_s"]], "P", label=f"mixed full session, {r['claims']} claims first")
    ax.loglog([1], [TARGET_SPARSE_S], "v", color="grey", label="target, one operation per session")
    ax.axhline(TARGET_FULL_S, color="grey", linestyle="--", label="target, full sessions")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("operations per session")
    ax.set_ylabel("proving CPU per transaction (s)")
    ax.set_title("Session + one aggregation per session, per transaction")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    plt.close(fig)


def _s(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| ops per session | old session (s) | old aggregation (s) | old per tx (s) | new session (s) | "
        "new rows | new aggregation (s) | new per tx (s) | new / old |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["per_operation"]:
        old = r.get("old_per_tx_s")
        ratio = "" if old is None else f"{r['new_per_tx_s'] / old:.2f}"
        lines.append(
            f"| {r['ops']} | {_s(r.get('old_session_s'))} | {_s(r.get('old_aggregation_s'))} | {_s(old)} | "
            f"{_s(r['new_session_s'])} | 2^{r['new_rows_log2']} | {_s(r['new_aggregation_s'])} | "
            f"{_s(r['new_per_tx_s'])} | {ratio} |"
        )
    sparse, build = result["sparse_block"], result["build"]
    users = sparse["users"]
    lines += [
        "",
        "| full session | operations | claims | session (s) | aggregation (s) | per tx (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "any": "old: slots of any kind, sends",
        "send": "new: send-only slots, sends",
        "any, claims": "old: slots of any kind, claims first",
        "mixed": "new: mixed (slots of any kind, then send-only), claims first",
    }
    for r in result["full_sessions"]:
        lines.append(
            f"| {names[r['kind']]} | {r['ops']} | {r['claims']} | {_s(r['session_s'])} | {_s(r['aggregation_s'])} | "
            f"{1000 * r['per_tx_s']:.1f} |"
        )
    lines += [
        "",
        "| sends per session | full send session (2^13): session (s) | aggregation (s) | per tx (ms) | "
        "medium send session (2^11): session (s) | aggregation (s) | per tx (ms) | new / old |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["medium_sessions"]:
        lines.append(
            f"| {r['ops']} | {_s(r['old_session_s'])} | {_s(r['old_aggregation_s'])} | "
            f"{1000 * r['old_per_tx_s']:.1f} | {_s(r['new_session_s'])} | {_s(r['new_aggregation_s'])} | "
            f"{1000 * r['new_per_tx_s']:.1f} | "
            f"{r['new_per_tx_s'] / r['old_per_tx_s']:.2f} |"
        )
    lines += [
        "",
        "| end to end, one send per user | block CPU (s) | per transaction (s) |",
        "|---|---:|---:|",
        f"| {users} users, every session full-shape (old sizing) | {_s(sparse['all_full_s'])} | "
        f"{_s(sparse['all_full_s'] / users)} |",
        f"| {users} users, sized sessions (new) | {_s(sparse['new_s'])} | {_s(sparse['new_s'] / users)} |",
        "",
        "| start-up: every circuit and key of the block tree | CPU (s) |",
        "|---|---:|",
        f"| old (1 session circuit, 3 aggregation variants + plain, 1 lift, block) | {_s(build['old_s'])} |",
        f"| new ({build['sessions']} session circuits, {build['variants']} aggregation variants + plain, "
        f"{build['lifts']} lifts, block) | {_s(build['new_s'])} |",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ops", type=int, nargs="*", default=list(DEFAULT_OPS), help="sends per measured session")
    parser.add_argument("--sparse-users", type=int, default=4, help="users of the end-to-end one-send block")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    args = parser.parse_args(argv)
    new_build_s = timed(rollup_circuits)
    circuits = rollup_circuits()
    aggregations = aggregations_by_circuit(circuits, args.repeat)
    result: dict[str, Any] = {
        "per_operation": per_operation_rows(circuits, aggregations, args.ops, args.repeat),
        "medium_sessions": medium_session_rows(circuits, aggregations, args.ops, args.repeat),
        "full_sessions": full_session_rows(circuits, aggregations, args.repeat),
        "sparse_block": sparse_block_row(circuits, args.sparse_users),
        "build": build_rows(circuits, new_build_s),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sized_sessions.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(result["per_operation"], result["full_sessions"], args.out / "cpu_per_transaction.png")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
