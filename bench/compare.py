"""Before/after comparison of the proof-system benchmark, interleaved so both sides see the same load.

    python -m bench.compare OTHER_TREE [log_rows] [repeat] [steps]

e.g. ``git worktree add /tmp/before <commit> && python -m bench.compare /tmp/before 12``
(from the repository root).

Two worker processes build the same workload (this tree's
:func:`bench.proof.merkle_builder`, loaded by file path): one imports
the packages of OTHER_TREE, the other those of this tree (``bench`` itself, the
timing helper included, comes from this tree unless OTHER_TREE has its own). The driver asks them
in turn for one measurement at a time (``build``, ``witness``, ``prove``, and
``floor``: a proof with the CPU inside the Poseidon2 Merkle kernel counted, as
``bench.targets`` defines the hashing floor; ``steps`` is a comma-separated
subset) and prints, per figure, the best CPU time
of each side over ``repeat`` rounds and their ratio (for the proof / floor
ratio, the lowest of the rounds). CPU time
(``time.process_time``) and alternation make the comparison meaningful on a
shared machine, where wall times of separate runs differ by up to 2x.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

WORKER = r"""
import importlib.util, json, sys, time
time.perf_counter = time.process_time  # every timer of either tree reads CPU time
from bench.timing import CPU, best_of
spec = importlib.util.spec_from_file_location("merkle_workload", sys.argv[1])
workload = importlib.util.module_from_spec(spec)
sys.modules["merkle_workload"] = workload
spec.loader.exec_module(workload)
from prover.plonk_prover import ProvingTimes
log_rows = int(sys.argv[2])
work = workload.merkle_builder(log_rows)
circuit = work.build()
witness = circuit.generate_witness(work.inputs)
circuit.prove_witness(witness)  # warm-up: load every compiled kernel
print("{}", flush=True)
for line in sys.stdin:
    out = {}
    if line.strip() == "build":
        out["circuit construction"], fresh = best_of(lambda: workload.merkle_builder(log_rows), 1, CPU)
        out["build (keygen)"] = best_of(fresh.build, 1, CPU).seconds
    elif line.strip() == "witness":
        out["witness generation"] = best_of(lambda: circuit.generate_witness(work.inputs), 1, CPU).seconds
    elif line.strip() == "prove":
        times = ProvingTimes()
        out["prove"] = best_of(lambda: circuit.prove_witness(witness, times), 1, CPU).seconds
        out.update({"  " + name: seconds for name, seconds in times.stages.items()})
    elif line.strip() == "floor":
        import prover.hashing as hashing
        kernel, inside = hashing._absorb_kernel, [0.0]
        def timed_kernel(*args):
            start = CPU()
            kernel(*args)
            inside[0] += CPU() - start
        hashing._absorb_kernel = timed_kernel
        try:
            total = best_of(lambda: circuit.prove_witness(witness), 1, CPU).seconds
        finally:
            hashing._absorb_kernel = kernel
        out["prove (floor step)"] = total
        out["  of which Poseidon2 Merkle hashing"] = inside[0]
        out["  proof / hashing floor (ratio)"] = total / inside[0]
    print(json.dumps(out), flush=True)
"""


def compare(
    other_tree: str, log_rows: int, repeat: int = 5, steps: tuple[str, ...] = ("build", "witness", "prove")
) -> dict[str, dict[str, float]]:
    """Best CPU seconds per figure for ``{"before": ..., "after": ...}`` (before = OTHER_TREE)."""
    here = Path(__file__).resolve().parent.parent
    workload = str(here / "bench" / "proof.py")
    trees = {"before": str(Path(other_tree).resolve()), "after": str(here)}
    workers = {
        side: subprocess.Popen(
            [sys.executable, "-c", WORKER, workload, str(log_rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join((tree, str(here)))),
        )
        for side, tree in trees.items()
    }
    best: dict[str, dict[str, float]] = {side: {} for side in workers}
    try:
        for w in workers.values():
            assert w.stdout is not None
            w.stdout.readline()  # ready
        for _ in range(repeat):
            for step in steps:
                for side, w in workers.items():
                    assert w.stdin is not None and w.stdout is not None
                    w.stdin.write(step + "\n")
                    w.stdin.flush()
                    for name, seconds in json.loads(w.stdout.readline()).items():
                        best[side][name] = min(best[side].get(name, float("inf")), seconds)
    finally:
        for w in workers.values():
            if w.stdin is not None:
                w.stdin.close()
            w.wait()
    return best


def main() -> None:
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    log_rows = int(args[1]) if len(args) > 1 else 12
    repeat = int(args[2]) if len(args) > 2 else 5
    steps = tuple(args[3].split(",")) if len(args) > 3 else ("build", "witness", "prove")
    best = compare(args[0], log_rows, repeat, steps)
    print(f"2^{log_rows} rows, CPU ms, best of {repeat} interleaved rounds")
    print(f"{'':36}{'before':>12}{'after':>12}{'speed-up':>10}")
    for name, after in best["after"].items():
        before = best["before"].get(name, float("nan"))
        scale, digits = (1, 3) if name.endswith("(ratio)") else (1e3, 1)  # a ratio as it is, times in ms
        print(f"{name:36}{before * scale:12,.{digits}f}{after * scale:12,.{digits}f}{before / after:9.3f}x")


if __name__ == "__main__":
    main()
