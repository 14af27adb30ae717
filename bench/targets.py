"""``rollup bench targets``: the issue's prover and light-client targets, old and new side by side in one run.

Each figure is measured in this process (or its local workers) with the old
path and the new one interleaved where an old path still exists:

* **one 2^13-row proof vs its hashing floor** (CPU, one thread, best of
  ``rounds``): the proof with the readable quotient (``QuotientOptions(reference=True)``,
  the path before the compiled one) and with the compiled quotient; the floor is the
  CPU spent inside the Poseidon2 Merkle kernel (``prover.hashing._absorb_kernel``)
  during the same proof;
* **light-client verification of a block** (CPU, in process): the reference
  verifier path and the fast one (``bench.light_client``) on one block proof;
* **verify vs re-execute at N transactions**: the re-execution baseline
  (``rollup.reexecute.reexecute_block``: every rule and every touched tree path
  hashed) of a block of N sends and of the block of the recipients' claims of
  those sends, each against the fast light-client verification of a block proof
  (the block circuit, so its proof's verification, does not depend on N);
* **latency of a 32-session block with both cores** (wall, the executor's run): the same
  block of 32 sessions of 32 sends on two local workers, every job on one thread (before)
  and with the cores shared among the busy workers (``prover.jobs.local``: a lone job gets
  both, also from the moment its neighbour ends); with the time one job ran alone and the
  jobs of that tail;
* **verification time against block size**: the fast verification of the proofs
  of the blocks proven here, plotted to ``--plot`` (default
  ``docs/bench/verify_by_block_size.png``).

``rollup bench targets [--rounds R] [--transactions N] [--sessions S] [--latency-rounds L] [--plot FILE]
[--only SECTIONS]``
from the repository root. Session proofs are zero-knowledge, so two provings of one
block give different bytes; byte identity across quotient paths and thread counts is
checked by ``tests/prover/test_quotient_tape.py`` with fixed randomness.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.timing import CPU, Row, print_rows

DEFAULT_PLOT = Path("docs/bench/verify_by_block_size.png")
DEFAULT_TRANSACTIONS = 10_000
DEFAULT_SESSIONS = 32
SMALL_BLOCK_TRANSACTIONS = 10
SECTIONS = ("floor", "light-client", "reexecute", "latency")


def proof_vs_floor(log_rows: int, rounds: int) -> list[Row]:
    """Prove one ``log_rows`` Merkle-workload proof with each quotient path; CPU and ratio to the hashing floor."""
    import prover.hashing as hashing
    from bench.proof import merkle_workload
    from prover.quotient import QuotientOptions
    from prover.threads import proof_threads, set_proof_threads

    work = merkle_workload(log_rows)
    circuit = work.circuit
    assert circuit is not None
    witness = circuit.generate_witness(work.inputs)
    kernel = hashing._absorb_kernel
    inside = [0.0]

    def timed_kernel(*args: Any) -> None:
        start = CPU()
        kernel(*args)
        inside[0] += CPU() - start

    paths = {"readable quotient (before)": True, "compiled quotient (after)": False}
    best: dict[str, tuple[float, float]] = {}
    threads = proof_threads()
    set_proof_threads(1)
    hashing._absorb_kernel = timed_kernel  # type: ignore[assignment]
    try:
        for _ in range(rounds + 1):  # the first round loads kernels and traces the tape
            for name, reference in paths.items():
                inside[0] = 0.0
                start = CPU()
                circuit.prove_witness(witness, None, QuotientOptions(reference=reference, threads=1))
                total = CPU() - start
                best[name] = min(best.get(name, (float("inf"), 0.0)), (total, inside[0]))
    finally:
        hashing._absorb_kernel = kernel
        set_proof_threads(threads)
    rows: list[Row] = []
    for name, (total, floor) in best.items():
        rows.append((f"2^{log_rows} proof, {name}: CPU", total * 1e3, "ms"))
        rows.append(("  of which Poseidon2 Merkle hashing (the floor)", floor * 1e3, "ms"))
        rows.append(("  proof / floor", total / floor, "x"))
    return rows


def reexecution_rows(transactions: int, verify_seconds: float) -> list[Row]:
    """Re-execute a block of ``transactions`` sends and the block claiming them; each against one verification."""
    from bench.timing import best_seconds
    from bench.workload import send_block
    from rollup.operations import Send
    from rollup.reexecute import reexecute_block
    from rollup.session import claim_sessions

    block = send_block(transactions)
    sends = best_seconds(lambda: reexecute_block(block.state, block.sessions), 3, CPU)
    recipients = {op.recipient for s in block.sessions for op in s.operations if isinstance(op, Send)}
    block.finalize()
    state = block.state
    claims = claim_sessions(state, {u: block.keys.secret(u) for u in recipients})
    claimed = sum(len(s.operations) for s in claims)
    claim_seconds = best_seconds(lambda: reexecute_block(state, claims), 3, CPU)
    return [
        (f"re-execute {transactions:,} sends ({len(block.sessions)} sessions)", sends * 1e3, "ms"),
        ("  verify vs re-execute (sends)", sends / verify_seconds, "x"),
        (f"re-execute the {claimed:,} claims of those sends ({len(claims)} sessions)", claim_seconds * 1e3, "ms"),
        ("  verify vs re-execute (claims)", claim_seconds / verify_seconds, "x"),
    ]


LATENCY_OPS_PER_SESSION = 32
"""Sends per session of the latency block (the block the target's "today" was measured on: 32 x 32 sends)."""


def lone_tail(records: Mapping[str, Any]) -> tuple[float, list[tuple[str, float]]]:
    """Seconds during which exactly one job ran, and the jobs that ended after two last ran together (the tail).

    From the workers' (start, end) of every job: a sweep over the start and end events.
    """
    spans = sorted((r.start, r.end, key) for key, r in records.items() if r.start is not None and r.end is not None)
    events = sorted([(a, 1) for a, _, _ in spans] + [(b, -1) for _, b, _ in spans])
    lone = 0.0
    last_overlap = spans[0][0] if spans else 0.0
    running = 0
    for (t, step), (t_next, _) in zip(events, [*events[1:], events[-1]], strict=True):
        running += step
        if running == 1:
            lone += t_next - t
        elif running > 1:
            last_overlap = t_next
    tail = [(key, b - a) for a, b, key in spans if b > last_overlap]
    return lone, tail


def block_latency(sessions: int, rounds: int = 1) -> tuple[list[Row], list[tuple[int, Any, Any]]]:
    """Wall time of a ``sessions``-session send block on two workers: one thread per job vs the shared cores.

    The wall time is the executor's run (first job submitted to last result), after the
    untimed warm-up and the block's execution; the tail is the part of it with one job running.
    The two ways alternate for ``rounds`` rounds; each reports its best round.
    """
    from bench.rollup_bench import warm_up_prover
    from bench.workload import send_block
    from prover.jobs import LocalExecutor
    from rollup.block_proving import prove_block
    from rollup.execution import execute_session

    transactions = sessions * LATENCY_OPS_PER_SESSION
    warm_up_prover()  # before the workers fork: they inherit the loaded kernels and built circuits
    block = send_block(transactions, LATENCY_OPS_PER_SESSION)
    traces = [execute_session(block.state, session).trace for session in block.sessions]
    previous_root = tuple(block.state.global_tree.root)
    ways = {"one thread per job (before)": 1, "cores shared among busy workers (after)": None}
    best: dict[str, Any] = {}
    proofs: list[tuple[int, Any, Any]] = []
    for _ in range(rounds):
        for name, threads in ways.items():
            executor = LocalExecutor(2, threads_per_job=threads)
            proven = prove_block(block.state.block_number + 1, traces, block.state.global_tree, executor)
            assert proven.run is not None
            if name not in best or proven.run.wall_seconds < best[name].wall_seconds:
                best[name] = proven.run
            proofs.append((transactions, proven.proof, previous_root))
    rows: list[Row] = []
    for name, run in best.items():
        lone, tail = lone_tail(run.records)
        rows.append((f"{sessions}-session block ({transactions:,} sends), 2 workers, {name}", run.wall_seconds, "s"))
        rows.append(("  of which one job running alone", lone, "s"))
        rows.extend((f"  tail job {key}", seconds, "s") for key, seconds in tail)
    before, after = (run.wall_seconds for run in best.values())
    rows.append((f"  latency after / before (best of {rounds} alternating rounds)", after / before, "x"))
    return rows, proofs


def verification_by_size(proofs: Sequence[tuple[int, Any, Any]], repeat: int) -> list[tuple[int, float]]:
    """(transactions, best fast light-client verification CPU seconds) per proven block."""
    from rollup.block_proving import rollup_circuits
    from verifier.light_client import verify_block

    vk = rollup_circuits().block_verifier_key
    points = []
    for transactions, proof, previous_root in proofs:
        verify_block(vk, proof, previous_root)
        best = float("inf")
        for _ in range(repeat):
            start = CPU()
            verify_block(vk, proof, previous_root)
            best = min(best, CPU() - start)
        points.append((transactions, best))
    return points


def plot(points: Sequence[tuple[int, float]], path: Path) -> None:
    """Verification time (ms) against transactions per block, log x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    xs = [t for t, _ in points]
    ax.plot(xs, [s * 1e3 for _, s in points], "o-")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("transactions in the block")
    ax.set_ylabel("light-client verification (CPU ms)")
    ax.set_title("Verifying a block proof does not grow with the block")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def timed_section(title: str, measure: Callable[[], list[Row]]) -> list[Row]:
    """Print a section's rows with the load average around it."""
    load = os.getloadavg()[0]
    rows = measure()
    print(f"\n{title} (load average {load:.1f} -> {os.getloadavg()[0]:.1f})")
    print_rows(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """``rollup bench targets``."""
    parser = argparse.ArgumentParser(prog="rollup bench targets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="best of this many interleaved rounds (default 3)")
    parser.add_argument("--log-rows", type=int, default=13, help="rows of the proof vs its floor (default 13)")
    parser.add_argument("--transactions", type=int, default=DEFAULT_TRANSACTIONS, help="re-execution block size")
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS, help="sessions of the latency block")
    parser.add_argument("--latency-rounds", type=int, default=1, help="alternating rounds of the latency block")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, help="verification-by-size plot file")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default all; re-execution needs the "
        "light client's figure, so it runs that section too; the plot needs both blocks)",
    )
    args = parser.parse_args(list(argv or []))
    sections = set(args.only.split(","))
    if not sections <= set(SECTIONS):
        parser.error(f"unknown sections {sorted(sections - set(SECTIONS))}; choose from {', '.join(SECTIONS)}")
    from bench.light_client import compare
    from bench.rollup_bench import prove_send_block
    from prover.jobs import LocalExecutor
    from rollup.block_proving import rollup_circuits

    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} CPUs")
    if "floor" in sections:
        timed_section("One proof vs its hashing floor", lambda: proof_vs_floor(args.log_rows, args.rounds))
    small: tuple[int, Any, Any] | None = None
    if sections & {"light-client", "reexecute"}:
        _, small_proof, small_root = prove_send_block(SMALL_BLOCK_TRANSACTIONS, LocalExecutor(2), "local")
        small = (SMALL_BLOCK_TRANSACTIONS, small_proof, small_root)
        vk = rollup_circuits().block_verifier_key
        light = timed_section(
            "Light-client verification of a block", lambda: compare(vk, small_proof, 10 * args.rounds)
        )
        fast_ms = next(value for label, value, _ in light if label.startswith("fast path"))
    if "reexecute" in sections:
        timed_section(
            f"Verify vs re-execute at {args.transactions:,} transactions",
            lambda: reexecution_rows(args.transactions, fast_ms / 1e3),
        )
    latency: list[tuple[int, Any, Any]] = []

    def measure_latency() -> list[Row]:
        rows, proofs = block_latency(args.sessions, args.latency_rounds)
        latency.extend(proofs)
        return rows

    if "latency" in sections:
        timed_section("Latency of a block with both cores", measure_latency)
    if small is not None and latency:
        points = verification_by_size([small, latency[-1]], 10 * args.rounds)
        plot(points, args.plot)
        print(f"\nverification by block size: {points} -> {args.plot}")
    return 0
