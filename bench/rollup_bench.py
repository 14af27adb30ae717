"""``rollup bench``: light-client verification vs re-execution, block proving, kernels, peer comparison.

Writes ``DIR/report.md``, PNG plots and ``DIR/measurements.json`` (every
figure the report is made of), and prints a summary. Measurements are saved
after each step, so an interrupted run keeps what it measured; ``--keep``
merges a run into the measurements already in ``DIR`` (one section at a time
on a busy machine), ``--report-only`` re-renders the report from them.

Sections (``--sections``):

* ``headline``: blocks of 10, 100, 1000 and 10,000 sends (sessions of at most
  32 operations, :mod:`bench.workload`). Re-execution
  (:func:`rollup.reexecute.reexecute_block`) is timed for every size; the
  blocks in ``--prove-sizes`` are proven and the light client
  (:func:`verifier.light_client.verify_block`) is timed on their proofs.
  Sizes that are not proven get no verify figure of their own. The proofs are
  saved in ``DIR/proofs/`` and the light client is then timed on all of them in
  turn (``VERIFY_ROUNDS`` rounds, best of each), so they share conditions;
  ``--sections verify`` repeats only that.
* ``proving``: blocks of ``--sessions`` full sessions proven with each
  ``--workers`` count on a local process pool, and the ``--dask-sessions``
  block on a Dask local cluster; per-job times come from the executor's records.
* ``kernels``: the rows of ``bench.kernels``, ``bench.hashing`` and
  ``bench.proof``.
* ``peer``: K Merkle-membership checks of depth 20 here and with circom2 +
  snarkjs (PLONK, Groth16), see :mod:`bench.peer_comparison`.

Every timing of a deterministic computation is the best of ``--repeat`` runs
(:mod:`bench.timing`): the machine may be shared, and the minimum is the least
disturbed. ``rollup bench`` imports this module from the repository's
``bench/`` folder (see :mod:`rollup.bench_loader`); ``python -m
bench.rollup_bench`` from the repository root is the same.

About 450 lines, over the usual 400: the sections share the save-as-you-go
:class:`bench.report.Measurements` flow and the block-proving helpers; the
machine record is :mod:`bench.machine`.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.peer_comparison import PEER_DIR
from bench.report import Measurements, write_report
from bench.timing import best_seconds

HEADLINE_SIZES = (10, 100, 1000, 10_000)
PROVE_SIZES = HEADLINE_SIZES
"""Every headline block is proven by default (the 10,000-transaction block takes about 12 minutes on 2 cores)."""
SESSIONS = (2, 8, 32)
WORKERS = (1, 2)
DASK_SESSIONS = 8
BLOCK_OF_SESSIONS = {32: 1000}
"""Transactions of the proving benchmark's block of S sessions when not 32 * S: the 32-session block is
the 1000-transaction headline block (31 full sessions and one of 8), so it is proven once per executor."""
ALL_SECTIONS = ("headline", "proving", "kernels", "peer", "verify")
VERIFY_ROUNDS = 10
QUICK = {
    "sizes": [10, 100],
    "prove_sizes": [10],
    "sessions": [2],
    "workers": [1, 2],
    "dask_sessions": 0,
    "sections": ["headline", "proving", "kernels"],
    "repeat": 1,
}


def _say(message: str) -> None:
    print(message, flush=True)


# ----------------------------------------------------------------------------- proving one block


def prove_send_block(
    transactions: int, executor: Any, label: str, ops_per_session: int = 32
) -> tuple[dict[str, Any], Any, Any]:
    """Prove the benchmark block of ``transactions`` sends; return (proving row, proof, previous root)."""
    from bench.workload import send_block
    from rollup.block_proving import BLOCK_NODE, prove_block, rollup_circuits
    from rollup.execution import execute_session

    warm_up_prover()  # before workers fork, so they inherit loaded kernels and built circuits
    block = send_block(transactions, ops_per_session)
    before = block.state
    previous_tree = before.global_tree
    traces = [execute_session(before, session).trace for session in block.sessions]
    ops_by_key = {f"session/{t.user_id}": len(t.steps) for t in traces}
    result = prove_block(before.block_number + 1, traces, previous_tree, executor)
    run = result.run
    assert run is not None
    records = run.records
    row = {
        "executor": label,
        "workers": _slots(executor),
        "sessions": len(traces),
        "transactions": transactions,
        "wall_s": run.wall_seconds,
        "busy_s": run.busy_seconds,
        "efficiency": run.parallel_efficiency,
        "tps": transactions / run.wall_seconds,
        "session_s": [
            [ops_by_key.get(k, 0), r.seconds] for k, r in sorted(records.items()) if k.startswith("session/")
        ],
        "agg_s": [r.seconds for k, r in sorted(records.items()) if k.startswith("agg/")],
        "block_s": records[BLOCK_NODE].seconds if BLOCK_NODE in records else None,
        "proof_bytes": len(result.proofs[BLOCK_NODE]),
        "rows_log2": {
            "session": rollup_circuits().sessions[-1].data.common.degree_bits,
            "aggregation": rollup_circuits().blocks.aggregation.circuit.common.degree_bits,
        },
        "root": result.plan.statement.new_root,
    }
    return row, result.proof, tuple(previous_tree.root)


def _slots(executor: Any) -> int:
    workers = getattr(executor, "workers", None)
    if isinstance(workers, int):
        return workers
    return 2  # the Dask local cluster of this benchmark has two single-threaded workers


def _local(workers: int) -> Any:
    from prover.jobs import LocalExecutor

    return LocalExecutor(workers)


def time_verify(proof: Any, prev_root: Any, repeat: int) -> float:
    """Best time of the light client's ``verify_block`` on ``proof`` (after one untimed warm-up call)."""
    from rollup.block_proving import rollup_circuits
    from verifier.light_client import verify_block

    vk = rollup_circuits().block_verifier_key
    verify_block(vk, proof, prev_root)  # warm-up: JIT kernels, caches
    return best_seconds(lambda: verify_block(vk, proof, prev_root), max(repeat, 3))


# ----------------------------------------------------------------------------- sections


def run_headline(m: Measurements, sizes: Sequence[int], prove_sizes: Sequence[int], workers: int, repeat: int) -> None:
    from bench.workload import send_block
    from rollup.reexecute import reexecute_block

    headline = m.setdefault("headline", {})
    for t in sizes:
        block = send_block(t)
        rerun = functools.partial(reexecute_block, block.state, block.sessions)
        seconds = best_seconds(rerun, repeat)
        entry = headline.setdefault(str(t), {})
        if entry.get("sessions") == len(block.sessions) and "reexecute_s" in entry:  # --keep: best of all runs
            seconds = min(seconds, entry["reexecute_s"])
        entry.update({"transactions": t, "sessions": len(block.sessions), "reexecute_s": seconds})
        _say(f"re-execute {t:>6} transactions ({len(block.sessions)} sessions): {seconds * 1e3:10.2f} ms")
        m.save()
    from verifier.light_client import digest_hex
    from verifier.serialization import proof_to_bytes

    for t in prove_sizes:
        _say(f"proving the {t}-transaction block with {workers} local workers ...")
        row, proof, prev_root = prove_send_block(t, _local(workers), local_label(workers))
        verify_s = time_verify(proof, prev_root, repeat)
        entry = headline.setdefault(str(t), {"transactions": t})
        entry.update({"verify_s": verify_s, "proof_bytes": row["proof_bytes"], "prove_wall_s": row["wall_s"]})
        if m.path is not None:
            name = f"proofs/block-{t}tx.proof"
            (m.path.parent / "proofs").mkdir(exist_ok=True)
            (m.path.parent / name).write_bytes(proof_to_bytes(proof))
            entry.update({"proof_file": name, "prev_root": digest_hex(prev_root)})
        add_proving_row(m, row, source=f"headline {t}-transaction block")
        _say(f"  proven in {row['wall_s']:.1f} s; light client verifies in {verify_s * 1e3:.1f} ms")
        m.save()
    if prove_sizes:
        reverify(m, VERIFY_ROUNDS)


def reverify(m: Measurements, rounds: int) -> None:
    """Time the light client on every saved block proof, round-robin (same conditions for all), best of ``rounds``."""
    from rollup.block_proving import rollup_circuits
    from verifier.light_client import parse_digest_hex, verify_block
    from verifier.serialization import proof_from_bytes

    if m.path is None:
        return
    vk = rollup_circuits().block_verifier_key
    blocks = []
    for entry in m.get("headline", {}).values():
        path = m.path.parent / str(entry.get("proof_file", ""))
        if entry.get("proof_file") and path.is_file():
            blocks.append((entry, proof_from_bytes(path.read_bytes()), parse_digest_hex(entry["prev_root"])))
    if not blocks:
        return
    for entry, proof, prev in list(blocks):
        try:
            verify_block(vk, proof, prev)
        except ValueError as exc:  # made by another version of the circuits (the key changed since)
            _say(f"{entry['proof_file']} does not verify under the current key ({exc}); not re-timed")
            blocks.remove((entry, proof, prev))
    best = [float("inf")] * len(blocks)
    for _ in range(rounds):
        for i, (_, proof, prev) in enumerate(blocks):
            best[i] = min(best[i], best_seconds(functools.partial(verify_block, vk, proof, prev), 1))
    for (entry, _, _), seconds in zip(blocks, best, strict=True):
        if entry.get("verify_rounds"):  # timed in turn before (--keep): best of all rounds
            seconds = min(seconds, entry["verify_s"])
        entry["verify_s"] = seconds
        entry["verify_rounds"] = entry.get("verify_rounds", 0) + rounds
        _say(f"light client, {entry['transactions']}-transaction block: {seconds * 1e3:.1f} ms (best of {rounds})")
    m.save()


def add_proving_row(m: Measurements, row: dict[str, Any], source: str = "") -> None:
    rows = m.setdefault("proving", [])
    from verifier.light_client import digest_hex

    root = row.get("root")
    row = {k: v for k, v in row.items() if k != "root"}
    if root is not None:
        row["new_root"] = digest_hex(root)
    row["source"] = source
    same = [r for r in rows if r["sessions"] == row["sessions"] and r["executor"] == row["executor"]]
    runs = 1
    for old in same:
        rows.remove(old)
        if old["transactions"] == row["transactions"]:  # the same block measured again: keep the best run
            runs += old.get("runs", 1)
            if old["wall_s"] < row["wall_s"]:
                row = old
    row["runs"] = runs
    rows.append(row)
    rows.sort(key=lambda r: (r["sessions"], r["executor"]))


def local_label(workers: int) -> str:
    return f"local, {workers} worker{'s' if workers > 1 else ''}"


def _covered(m: Measurements, sessions: int, label: str) -> bool:
    return any(r["sessions"] == sessions and r["executor"] == label for r in m.get("proving", []))


def run_proving(
    m: Measurements, sessions: Sequence[int], workers: Sequence[int], dask_sessions: int, keep: bool, again: bool
) -> None:
    for s in sessions:
        for w in workers:
            label = local_label(w)
            if keep and not again and _covered(m, s, label):
                _say(f"{s} sessions, {label}: already measured (--keep)")
                continue
            t = BLOCK_OF_SESSIONS.get(s, 32 * s)
            _say(f"proving {s} sessions ({t} transactions), {label} ...")
            row, _, _ = prove_send_block(t, _local(w), label)
            add_proving_row(m, row)
            _say(f"  {row['wall_s']:.1f} s, {row['tps']:.2f} tx/s, efficiency {row['efficiency']:.0%}")
            m.save()
    if dask_sessions:
        label = "Dask local cluster, 2 workers"
        if keep and not again and _covered(m, dask_sessions, label):
            _say(f"{dask_sessions} sessions, {label}: already measured (--keep)")
            return
        from prover.jobs import DaskExecutor

        _say(f"proving {dask_sessions} full sessions on a Dask local cluster ...")
        with DaskExecutor(n_workers=2, forward_logs=False) as executor:
            executor.client.run(warm_up_prover)  # circuits and kernels in each worker, outside the timing
            row, _, _ = prove_send_block(BLOCK_OF_SESSIONS.get(dask_sessions, 32 * dask_sessions), executor, label)
        add_proving_row(m, row)
        _say(f"  {row['wall_s']:.1f} s, {row['tps']:.2f} tx/s, efficiency {row['efficiency']:.0%}")
        m.save()


@functools.cache
def warm_up_prover() -> None:
    """Build the rollup circuits and prove a block of two one-send sessions in this process, untimed.

    numba loads (or, after a reinstall, compiles) each prover kernel on first
    use; warming up here keeps that out of every timing, and local workers,
    forked from this process, inherit the loaded kernels and circuits. Returns
    nothing, so nothing large travels back from a Dask worker.
    """
    from bench.workload import send_block
    from rollup.block_proving import prove_block
    from rollup.execution import execute_session

    block = send_block(2, ops_per_session=1)
    traces = [execute_session(block.state, session).trace for session in block.sessions]
    prove_block(block.state.block_number + 1, traces, block.state.global_tree)


def run_kernels(m: Measurements, quick: bool) -> None:
    from bench.hashing import bench_merkle_tree, bench_permutations, bench_pow
    from bench.kernels import bench_lde, bench_multiplication, bench_ntt
    from bench.proof import bench_proof_system

    kernels = m.setdefault("kernels", {})
    if quick:
        groups: dict[str, Callable[[], list[Any]]] = {
            "Field kernels, NTT, LDE (bench.kernels)": lambda: [
                *bench_multiplication(1 << 14, 1 << 10, 1 << 12),
                *bench_ntt((12,)),
            ],
            "Poseidon2, Merkle trees, PoW (bench.hashing)": lambda: [
                *bench_permutations(1 << 10, 200, 10),
                *bench_pow(8, 1),
            ],
            "Proof system (bench.proof)": lambda: bench_proof_system((10,), repeat=1),
        }
    else:
        groups = {
            "Field kernels, NTT, LDE (bench.kernels)": lambda: [
                *bench_multiplication(),
                *bench_ntt(),
                *bench_lde(),
            ],
            "Poseidon2, Merkle trees, PoW (bench.hashing)": lambda: [
                *bench_permutations(),
                *bench_merkle_tree(),
                *bench_pow(),
            ],
            "Proof system (bench.proof)": lambda: bench_proof_system(),
        }
    for title, fn in groups.items():
        _say(f"kernels: {title} ...")
        kernels[title] = [[str(name), float(value), str(unit)] for name, value, unit in fn()]
        m.save()


def run_peer(m: Measurements, k: int, repeat: int, peer_dir: Path) -> None:
    from bench.peer_comparison import peer_comparison

    _say(f"peer comparison: {k} Merkle-membership checks of depth 20 ...")
    m["peer"] = peer_comparison(k, repeat, say=_say, peer_dir=peer_dir)
    m.save()


# ----------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rollup bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="bench-report", help="output directory (default: ./bench-report)")
    p.add_argument("--quick", action="store_true", help="a reduced set for CI / smoke use")
    p.add_argument("--sizes", type=int, nargs="+", help="headline block sizes in transactions")
    p.add_argument("--prove-sizes", type=int, nargs="*", help="headline sizes that are proven and verified")
    p.add_argument("--sessions", type=int, nargs="*", help="proving benchmark: sessions per block")
    p.add_argument("--workers", type=int, nargs="+", help="proving benchmark: local worker counts")
    p.add_argument("--dask-sessions", type=int, help="sessions of the block proven on a Dask local cluster (0: none)")
    p.add_argument("--sections", nargs="+", choices=ALL_SECTIONS, help="sections to measure (default: all)")
    p.add_argument(
        "--peer-k",
        type=int,
        default=1,
        help="peer comparison: Merkle-membership checks (default 1: snarkjs PLONK needs a 2^16 ceremony per path)",
    )
    p.add_argument(
        "--peer-dir",
        default=str(PEER_DIR),
        help="peer comparison: the circom2/snarkjs driver directory of the repository (default: ./bench/peer)",
    )
    p.add_argument(
        "--bench-dir",
        help="the repository's bench/ folder `rollup bench` imports this suite from (default: ./bench, else the "
        "one beside the running packages); read by rollup.bench_loader",
    )
    p.add_argument("--repeat", type=int, help="best of this many runs for cheap timings (default 3)")
    p.add_argument("--keep", action="store_true", help="merge into DIR/measurements.json, skip measured blocks")
    p.add_argument("--again", action="store_true", help="with --keep: prove measured blocks again, keep the best run")
    p.add_argument("--report-only", action="store_true", help="only re-render the report from DIR/measurements.json")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["targets"]:  # rollup bench targets: the targets table (bench.targets)
        from bench.targets import main as targets_main

        return targets_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    quick: dict[str, Any] = QUICK if args.quick else {}
    sizes = args.sizes or quick.get("sizes", HEADLINE_SIZES)
    prove_sizes = args.prove_sizes if args.prove_sizes is not None else quick.get("prove_sizes", PROVE_SIZES)
    sessions = args.sessions if args.sessions is not None else quick.get("sessions", SESSIONS)
    workers = args.workers or quick.get("workers", WORKERS)
    dask_sessions = args.dask_sessions if args.dask_sessions is not None else quick.get("dask_sessions", DASK_SESSIONS)
    sections = args.sections or quick.get("sections", ALL_SECTIONS)
    repeat = args.repeat or quick.get("repeat", 3)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "measurements.json"
    if args.report_only or args.keep:
        if not path.exists():
            print(f"rollup bench: no measurements in {path}", file=sys.stderr)
            return 2
        m = Measurements.load(path)
    else:
        m = Measurements(path=path)
    if not args.report_only:
        runs = m.setdefault("runs", [])
        runs.append({**machine_info(), "quick": bool(args.quick), "sections": list(sections)})
        m.save()
        if "headline" in sections:
            run_headline(m, sizes, prove_sizes, max(workers), repeat)
        if "proving" in sections:
            run_proving(m, sessions, workers, dask_sessions, args.keep, args.again)
        if "kernels" in sections:
            run_kernels(m, bool(args.quick))
        if "peer" in sections:
            run_peer(m, args.peer_k, repeat, Path(args.peer_dir))
        if "verify" in sections and "headline" not in sections:
            reverify(m, VERIFY_ROUNDS)
    files = write_report(m, out)
    print()
    print(summary(m))
    print(f"\nreport: {out / 'report.md'} ({len(files)} files)")
    return 0


def summary(m: Measurements) -> str:
    """A short plain-text summary of the headline and proving figures."""
    from bench.report import headline_rows

    lines = ["transactions  re-execute   verify        ratio"]
    for r in headline_rows(m):
        verify = (
            f"{r['verify_s'] * 1e3:8.1f} ms{'*' if r['verify_borrowed'] else ' '}" if r["verify_s"] else "       n/a  "
        )
        ratio = f"{r['ratio']:8.2f}" if r["ratio"] is not None else "     n/a"
        lines.append(f"{r['transactions']:>12}  {r['reexecute_s'] * 1e3:8.1f} ms  {verify}  {ratio}")
    if any(r["verify_borrowed"] for r in headline_rows(m)):
        lines.append("* not proven: the measured verify time of the proven blocks (constant by construction)")
    for r in m.get("proving", []):
        lines.append(
            f"proving {r['sessions']:>3} sessions ({r['transactions']} tx), {r['executor']}: "
            f"{r['wall_s']:.1f} s, {r['tps']:.2f} tx/s, efficiency {r['efficiency']:.0%}"
        )
    peer = m.get("peer")
    if peer:
        lines.append(f"peer comparison: {peer.get('status')} {peer.get('reason', '')}".rstrip())
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
