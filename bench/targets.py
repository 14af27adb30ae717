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
* **latency of a 32-session block with both cores** (wall): two local workers,
  every job on one thread (before) and with the idle-core rule
  (``prover.jobs.local``: a job gets the cores no other busy worker uses);
* **verification time against block size**: the fast verification of the proofs
  of the blocks proven here, plotted to ``--plot`` (default
  ``docs/bench/verify_by_block_size.png``).

``rollup bench targets [--rounds R] [--transactions N] [--sessions S] [--plot FILE]``
from the repository root. Session proofs are zero-knowledge, so two provings of one
block give different bytes; byte identity across quotient paths and thread counts is
checked by ``tests/prover/test_quotient_tape.py`` with fixed randomness.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.timing import CPU, WALL, Row, print_rows

DEFAULT_PLOT = Path("docs/bench/verify_by_block_size.png")
DEFAULT_TRANSACTIONS = 10_000
DEFAULT_SESSIONS = 32
SMALL_BLOCK_TRANSACTIONS = 10


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


def block_latency(sessions: int) -> tuple[list[Row], list[tuple[int, Any, Any]]]:
    """Wall time of a ``sessions``-session send block on two workers, one thread per job vs the idle-core rule."""
    from bench.rollup_bench import prove_send_block
    from prover.jobs import LocalExecutor
    from rollup.params import SESSION_SLOTS

    transactions = sessions * SESSION_SLOTS
    rows: list[Row] = []
    proofs: list[tuple[int, Any, Any]] = []
    walls = {}
    for name, threads in (("one thread per job (before)", 1), ("idle cores to a lone job (after)", None)):
        start = WALL()
        _, proof, previous_root = prove_send_block(transactions, LocalExecutor(2, threads_per_job=threads), "local")
        walls[name] = WALL() - start
        rows.append((f"{sessions}-session block ({transactions:,} sends), 2 workers, {name}", walls[name], "s"))
        proofs.append((transactions, proof, previous_root))
    before, after = walls.values()
    rows.append(("  latency after / before", after / before, "x"))
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
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, help="verification-by-size plot file")
    args = parser.parse_args(list(argv or []))
    from bench.light_client import compare
    from bench.rollup_bench import prove_send_block
    from prover.jobs import LocalExecutor
    from rollup.block_proving import rollup_circuits

    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} CPUs")
    timed_section("One proof vs its hashing floor", lambda: proof_vs_floor(args.log_rows, args.rounds))
    _, small, small_root = prove_send_block(SMALL_BLOCK_TRANSACTIONS, LocalExecutor(2), "local")
    vk = rollup_circuits().block_verifier_key
    light = timed_section("Light-client verification of a block", lambda: compare(vk, small, 10 * args.rounds))
    fast_ms = next(value for label, value, _ in light if label.startswith("fast path"))
    timed_section(
        f"Verify vs re-execute at {args.transactions:,} transactions",
        lambda: reexecution_rows(args.transactions, fast_ms / 1e3),
    )
    latency: list[tuple[int, Any, Any]] = []

    def measure_latency() -> list[Row]:
        rows, proofs = block_latency(args.sessions)
        latency.extend(proofs)
        return rows

    timed_section("Latency of a block with both cores", measure_latency)
    points = verification_by_size([(SMALL_BLOCK_TRANSACTIONS, small, small_root), latency[-1]], 10 * args.rounds)
    plot(points, args.plot)
    print(f"\nverification by block size: {points} -> {args.plot}")
    return 0
