"""Latency of one block proven by another tree's packages and by this tree's, alternating rounds.

    python -m bench.latency_compare OTHER_TREE [--sessions 32] [--sends 32] [--rounds 2]

e.g. ``git worktree add --detach /tmp/before <commit> && python -m bench.latency_compare /tmp/before``
(from the repository root).

Two worker processes, one importing the packages of OTHER_TREE (``bench`` included,
so the old side builds its block with its own ``bench.workload.send_block``), the
other those of this tree, each build the block of ``bench.targets``' latency section:
``sessions`` sessions of ``sends`` sends each (``send_block(sessions * sends, sends)``:
the same users, drawn from the same seed, each sending ``1 + k mod 7`` to the next;
the driver checks that both sides' sessions hold the same sends). Each warms its
prover up (``bench.rollup_bench.warm_up_prover``, untimed) and then, when asked,
proves the block with that tree's default path, ``rollup block prove``'s
``LocalExecutor(DEFAULT_WORKERS)`` (two local workers; on this tree their proofs share
the idle cores), and verifies the block proof with that tree's light client (the
statement it accepts must be the plan's, computed natively from the block). The
driver asks the two in turn, ``rounds`` times, so both see the same load, and prints
per side the best and every round's

* **wall latency** of ``prove_block`` (planning, starting the workers, every proof),
  and of the executor's run alone (first job submitted to last result);
* **CPU** of the proving process and its workers (``getrusage`` of the process and of
  its reaped children around the call: the workers are joined when the run ends);

the ratio this tree / OTHER_TREE of the best walls, and the load average before and
after. Only one side proves at a time; the other waits on its pipe.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.targets import DEFAULT_SESSIONS, LATENCY_OPS_PER_SESSION

WORKER = r"""
import json, os, resource, sys, time
import rollup
from bench.rollup_bench import warm_up_prover
from bench.workload import send_block
from prover.jobs import LocalExecutor
from rollup.block_proving import prove_block, rollup_circuits
from rollup.cli.proving import DEFAULT_WORKERS
from rollup.execution import execute_session
from verifier.light_client import verify_block

sessions, sends = int(sys.argv[1]), int(sys.argv[2])
warm_up_prover()
block = send_block(sessions * sends, sends)
traces = [execute_session(block.state, session).trace for session in block.sessions]
previous_root = tuple(block.state.global_tree.root)
workload = [[s.user_id, [[op.recipient, op.amount, op.nonce] for op in s.operations]] for s in block.sessions]
package = os.path.dirname(os.path.dirname(os.path.abspath(rollup.__file__)))
print(json.dumps({"tree": package, "workers": DEFAULT_WORKERS, "workload": workload}), flush=True)


def cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


for line in sys.stdin:
    cpu_start, start = cpu(), time.perf_counter()
    proven = prove_block(block.state.block_number + 1, traces, block.state.global_tree, LocalExecutor(DEFAULT_WORKERS))
    wall, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
    statement = verify_block(rollup_circuits().block_verifier_key, proven.proof, previous_root)
    out = {"wall": wall, "run_wall": proven.run.wall_seconds, "cpu": cpu_seconds,
           "verified": statement.elements() == proven.plan.statement.elements()}
    print(json.dumps(out), flush=True)
"""
"""Runs with one tree's packages first on its path; argv: sessions, sends per session."""

SIDES = ("before", "after")
"""OTHER_TREE, then this tree."""


@dataclass(frozen=True)
class Round:
    """One proving of the block by one side: wall seconds (``prove_block``, the executor's run), CPU seconds."""

    wall: float
    run_wall: float
    cpu: float
    verified: bool


@dataclass(frozen=True)
class LatencyComparison:
    """Both sides' rounds in the order they ran, the trees and commits, and the load average around them."""

    sessions: int
    sends: int
    trees: dict[str, str]
    commits: dict[str, str]
    workers: dict[str, int]
    rounds: dict[str, list[Round]]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    def best(self, side: str) -> Round:
        """The side's round of least wall latency."""
        return min(self.rounds[side], key=lambda r: r.wall)

    @property
    def ratio(self) -> float:
        """Best wall latency after / before (``prove_block``, end to end)."""
        return self.best("after").wall / self.best("before").wall

    @property
    def run_ratio(self) -> float:
        """Best executor-run wall after / before."""
        return min(r.run_wall for r in self.rounds["after"]) / min(r.run_wall for r in self.rounds["before"])


def commit_of(tree: Path) -> str:
    """The short commit checked out in ``tree``, with ``+changes`` when its tracked files differ from it."""
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(tree), "diff", "--quiet", "HEAD"], capture_output=True).returncode != 0
    return head.stdout.strip() + ("+changes" if dirty else "")


def start_worker(tree: Path, here: Path, sessions: int, sends: int) -> subprocess.Popen[str]:
    """A worker importing ``tree``'s packages (this tree's for what ``tree`` lacks), run from ``tree``."""
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(sessions), str(sends)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tree,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join((str(tree), str(here)))),
    )


def read_message(stream: IO[str] | None, side: str) -> dict[str, Any]:
    """The worker's next JSON line (a worker that died reports nothing: its traceback is on stderr)."""
    assert stream is not None
    line = stream.readline()
    if not line:
        raise RuntimeError(f"the {side} worker exited before answering")
    message: dict[str, Any] = json.loads(line)
    return message


def check_ready(ready: dict[str, dict[str, Any]], trees: dict[str, Path]) -> None:
    """Each worker imported its own tree's ``rollup`` and both built the same block (same users, same sends)."""
    for side, tree in trees.items():
        if Path(ready[side]["tree"]) != tree:
            raise RuntimeError(f"the {side} worker imported rollup from {ready[side]['tree']}, not {tree}")
    if ready["before"]["workload"] != ready["after"]["workload"]:
        raise RuntimeError("the two trees built different blocks (users or sends differ)")


def compare_latency(
    other_tree: str, sessions: int = DEFAULT_SESSIONS, sends: int = LATENCY_OPS_PER_SESSION, rounds: int = 2
) -> LatencyComparison:
    """Prove the ``sessions`` x ``sends`` block ``rounds`` times per side, alternating (OTHER_TREE first)."""
    here = Path(__file__).resolve().parent.parent
    trees = {"before": Path(other_tree).resolve(), "after": here}
    commits = {side: commit_of(tree) for side, tree in trees.items()}  # what the workers load, before anything moves
    workers = {side: start_worker(tree, here, sessions, sends) for side, tree in trees.items()}
    results: dict[str, list[Round]] = {side: [] for side in SIDES}
    try:
        ready = {side: read_message(w.stdout, side) for side, w in workers.items()}
        check_ready(ready, trees)
        load_before = os.getloadavg()
        for _ in range(rounds):
            for side, w in workers.items():
                assert w.stdin is not None
                w.stdin.write("prove\n")
                w.stdin.flush()
                results[side].append(Round(**read_message(w.stdout, side)))
        load_after = os.getloadavg()
    finally:
        for w in workers.values():
            if w.stdin is not None:
                w.stdin.close()
            w.wait()
    return LatencyComparison(
        sessions=sessions,
        sends=sends,
        trees={side: str(tree) for side, tree in trees.items()},
        commits=commits,
        workers={side: int(ready[side]["workers"]) for side in SIDES},
        rounds=results,
        load_before=load_before,
        load_after=load_after,
    )


def report(result: LatencyComparison) -> list[str]:
    """The printed result: one line per side and round, the best of each, the ratios, the load; then one JSON line."""
    load = " ".join(f"{x:.2f}" for x in result.load_before), " ".join(f"{x:.2f}" for x in result.load_after)
    lines = [
        f"{result.sessions}-session block ({result.sessions * result.sends:,} sends), "
        f"{len(result.rounds['after'])} alternating rounds, load average (1, 5, 15 min) {load[0]} -> {load[1]}",
        f"{'':44}{'wall s':>10}{'run wall s':>12}{'CPU s':>10}  verified",
    ]
    for side in SIDES:
        name = f"{side} ({result.commits[side]}, {result.workers[side]} workers)"
        for i, r in enumerate(result.rounds[side]):
            lines.append(f"{name + f' round {i + 1}':44}{r.wall:10.1f}{r.run_wall:12.1f}{r.cpu:10.1f}  {r.verified}")
    for side in SIDES:
        best = result.best(side)
        lines.append(f"{side + ' best':44}{best.wall:10.1f}{best.run_wall:12.1f}{best.cpu:10.1f}")
    lines.append(f"latency after / before: {result.ratio:.2f}x (prove_block), {result.run_ratio:.2f}x (executor's run)")
    summary = {
        "sessions": result.sessions,
        "sends": result.sends,
        "trees": result.trees,
        "commits": result.commits,
        "rounds": {side: [vars(r) for r in rounds] for side, rounds in result.rounds.items()},
        "ratio": result.ratio,
        "run_ratio": result.run_ratio,
        "load_before": result.load_before,
        "load_after": result.load_after,
    }
    lines.append("json: " + json.dumps(summary))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_compare", description=__doc__.split("\n")[0])
    parser.add_argument("other_tree", help="a checkout whose packages prove the 'before' side")
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS, help="sessions of the block")
    parser.add_argument("--sends", type=int, default=LATENCY_OPS_PER_SESSION, help="sends per session")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (each side proves once per round)")
    args = parser.parse_args(argv)
    result = compare_latency(args.other_tree, args.sessions, args.sends, args.rounds)
    print("\n".join(report(result)), flush=True)


if __name__ == "__main__":
    main()
