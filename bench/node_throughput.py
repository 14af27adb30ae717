"""The node benchmark of Delzer et al., approach 2: k account processes submitting continuously to the node.

One organization owns k accounts (one secret, one account per
transaction-creating process, :mod:`rollup.organization`). For each k, a fresh
node runs on loopback with its prover; its k accounts register in block 0;
then k processes submit for ``seconds`` seconds, each in a loop: read its
account from the node, build one session of ``ops`` sends, submit it for
delegated proving (the node proves it: the benchmark measures the node, not
the wallets' own proving), wait
until it is in a sealed block (a user has one session per block), repeat.

Measured per k: accepted transactions (sends) per second over the window,
and each transaction's *waiting period*, from the moment its session was
created to the moment its block's proof was finished (the paper measures to
inclusion in a block; a zk-rollup's block is final once proven), plus the
wait to inclusion in a sealed block. Results go to ``node_throughput.json`` and
the plots (histogram with 0.25 s bins as in the paper's Figure 7, boxplots as
in its Figure 8, and throughput against k) to ``--out``.

    python -m bench.node_throughput --ks 1,2,4,8 --seconds 30 --out docs/bench
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rollup.keys import new_secret
from rollup.node.client import NodeClient, NodeRefusedError
from rollup.operations import Register, Send
from rollup.session import Session
from verifier.light_client import parse_digest_hex

ORGANIZATION_SECRET = new_secret()
"""The one owner of every account: a throw-away key made once per run (the forked account processes inherit it)."""
RECIPIENT = 1 << 19
"""Every send pays this (unregistered) id: the benchmark measures sends, not claims."""
RECIPIENT_ADDRESS = (0, 0, 0, 0)
"""The address the sends name (no key has it: nobody ever claims them)."""
DEPOSIT = 1 << 40
PROVING_TIMEOUT_SECONDS = 7200.0


@dataclass(frozen=True)
class Submission:
    account: int
    created: float
    accepted: float
    block: int
    ops: int


def account_loop(url: str, user_id: int, ops: int, until: float) -> list[Submission]:
    """One transaction-creating process: sessions of ``ops`` sends, one per block, until ``until``."""
    secret = ORGANIZATION_SECRET
    done: list[Submission] = []
    with NodeClient(url) as client:
        while time.time() < until:
            created = time.time()
            account = client.account(user_id)
            nonce = account["nonce"]
            sends = tuple(Send(RECIPIENT, RECIPIENT_ADDRESS, 1, nonce + i + 1) for i in range(ops))
            try:
                signed = client.submit_delegated(
                    Session(user_id, parse_digest_hex(account["root"]), secret, sends), verify=False
                )
            except NodeRefusedError as exc:
                if exc.kind in ("stale_root", "duplicate_user"):
                    time.sleep(0.05)
                    continue
                raise
            receipt = signed["receipt"]
            done.append(Submission(user_id, created, time.time(), receipt["block"], ops))
            client.wait_for(receipt["submission"], "included", timeout=PROVING_TIMEOUT_SECONDS)
    return done


def _start_node(directory: Path, block_time: float, workers: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "rollup.node", "--dir", str(directory), "--listen", "127.0.0.1:0"]
    options = ["--block-time", str(block_time), "--workers", str(workers)]
    node = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert node.stdout is not None
    match = re.search(r"listening on (http://\S+)", node.stdout.readline())
    if match is None:
        raise RuntimeError("the node did not start")
    return node, match.group(1)


def _register(client: NodeClient, user_id: int) -> None:
    """Register one of the organization's accounts, on the latest root (a block may be sealed in between)."""
    while True:
        root = parse_digest_hex(client.head()["root"])
        try:
            client.submit_delegated(Session(user_id, root, ORGANIZATION_SECRET, (Register(DEPOSIT),)), verify=False)
            return
        except NodeRefusedError as exc:
            if exc.kind != "stale_root":
                raise


def _wait_proven(client: NodeClient, block: int) -> None:
    deadline = time.time() + PROVING_TIMEOUT_SECONDS
    while client.head()["proven"] < block:
        if time.time() > deadline:
            raise TimeoutError(f"block {block} not proven after {PROVING_TIMEOUT_SECONDS} s")
        time.sleep(1)


def run_k(k: int, seconds: float, ops: int, block_time: float, workers: int) -> dict[str, Any]:
    """One run with k accounts; returns its measurements."""
    with tempfile.TemporaryDirectory(prefix="node-bench-") as tmp:
        node, url = _start_node(Path(tmp) / "chain", block_time, workers)
        try:
            with NodeClient(url) as client:
                for user_id in range(1, k + 1):
                    _register(client, user_id)
                while any(client.account(u)["nonce"] is None for u in range(1, k + 1)):
                    time.sleep(0.2)
                _wait_proven(client, client.head()["finalized"])  # the prover is warm before the window opens
                start = time.time()
                until = start + seconds
                with multiprocessing.get_context("fork").Pool(k) as pool:
                    results = pool.starmap(account_loop, [(url, u, ops, until) for u in range(1, k + 1)])
                submissions = [s for result in results for s in result]
                last_block = max(s.block for s in submissions)
                _wait_proven(client, last_block)
                first_block = min(s.block for s in submissions)
                blocks = {n: client.get(f"/blocks/{n}") for n in range(first_block, last_block + 1)}
        finally:
            node.terminate()
            node.wait(timeout=60)
    in_window = [s for s in submissions if s.accepted <= until]
    return {
        "k": k,
        "seconds": seconds,
        "ops_per_session": ops,
        "accepted_tps": sum(s.ops for s in in_window) / seconds,
        "submissions": [asdict(s) for s in submissions],
        "waiting_proven": [blocks[s.block]["proven_at"] - s.created for s in submissions for _ in range(s.ops)],
        "waiting_included": [blocks[s.block]["sealed_at"] - s.created for s in submissions for _ in range(s.ops)],
        "blocks": {
            n: {"sessions": len(b["public_data"]), "proving_seconds": b["proving_seconds"]} for n, b in blocks.items()
        },
    }


def plot(runs: list[dict[str, Any]], out: Path) -> None:
    """The paper's waiting-period histograms (to inclusion: 0.25 s bins as its Figure 7; to a proven block)
    and boxplots (its Figure 8), and throughput against k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    panels = (
        ("waiting_included", 0.25, "to inclusion in a sealed block (s), 0.25 s bins"),
        ("waiting_proven", 5.0, "to a proven block (s), 5 s bins"),
    )
    for ax, (key, width, label) in zip(axes, panels, strict=True):
        for run in runs:
            waits = run[key]
            ax.hist(
                waits,
                bins=[i * width for i in range(int(max(waits) / width) + 2)],
                histtype="step",
                label=f"k = {run['k']}",
            )
        ax.set_xlabel(f"waiting period {label}")
        ax.set_ylabel("transactions")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "node_waiting_histogram.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"k = {run['k']}" for run in runs]
    positions = range(1, len(runs) + 1)
    ax.boxplot([run["waiting_included"] for run in runs], positions=[p - 0.2 for p in positions], widths=0.3)
    ax.boxplot([run["waiting_proven"] for run in runs], positions=[p + 0.2 for p in positions], widths=0.3)
    ax.set_xticks(list(positions), labels)
    ax.set_yscale("log")
    ax.set_ylabel("waiting period (s)")
    ax.set_title("per k: to inclusion in a sealed block (left), to a proven block (right)")
    fig.tight_layout()
    fig.savefig(out / "node_waiting_boxplot.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    ks = [run["k"] for run in runs]
    ax.plot(ks, [run["accepted_tps"] for run in runs], marker="o")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_xlabel("account processes k")
    ax.set_ylabel("accepted transactions per second")
    fig.tight_layout()
    fig.savefig(out / "node_throughput.png", dpi=110)
    plt.close(fig)


PAPER_TARGET_TPS = 1158
"""The paper's use case: 100 million transactions a day."""
CORES_PER_MACHINE = 2


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def proving_cost_per_session(runs: list[dict[str, Any]], workers: int) -> float:
    """Worker-seconds of proving per session, all its tree's proofs included (blocks proven in the runs)."""
    blocks = [b for run in runs for b in run["blocks"].values() if b["proving_seconds"] is not None]
    return sum(b["proving_seconds"] for b in blocks) * workers / sum(b["sessions"] for b in blocks)


def summary(runs: list[dict[str, Any]], workers: int) -> str:
    """The Markdown tables of docs/benchmarks.md: one row per k, and the Dask projection."""
    lines = [
        "| k | accepted tps | blocks | sessions per block | waiting to inclusion, median (p90) | "
        "waiting to proven block, median (p90) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        included, proven = run["waiting_included"], run["waiting_proven"]
        sessions = [b["sessions"] for b in run["blocks"].values()]
        lines.append(
            f"| {run['k']} | {run['accepted_tps']:.1f} | {len(sessions)} | {sum(sessions) / len(sessions):.1f} | "
            f"{_quantile(included, 0.5):.1f} s ({_quantile(included, 0.9):.1f} s) | "
            f"{_quantile(proven, 0.5):.1f} s ({_quantile(proven, 0.9):.1f} s) |"
        )
    cost = proving_cost_per_session(runs, workers)
    ops = runs[0]["ops_per_session"]
    per_machine = CORES_PER_MACHINE * ops / cost
    lines += [
        "",
        f"Proving cost: {cost:.1f} worker-seconds per session of {ops} sends (its share of the tree included), "
        f"so one {CORES_PER_MACHINE}-core machine proves {per_machine:.1f} tps.",
        "",
        "| Dask machines (2 cores) | projected proving tps |",
        "|---:|---:|",
        *(f"| {n} | {n * per_machine:,.0f} |" for n in (1, 2, 4, 8, 16, 32, 64, 128, 256)),
        "",
        f"The paper's {PAPER_TARGET_TPS:,} tps need about {PAPER_TARGET_TPS / per_machine:,.0f} such machines.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.node_throughput", description=__doc__)
    parser.add_argument("--ks", default="1,2,4,8", help="account process counts (default 1,2,4,8)")
    parser.add_argument("--seconds", type=float, default=30.0, help="submission window per k (default 30)")
    parser.add_argument("--ops", type=int, default=32, help="sends per session (default 32, a full session)")
    parser.add_argument(
        "--block-time", type=float, default=5.0, help="the node's --block-time (default 5, the paper's)"
    )
    parser.add_argument("--workers", type=int, default=2, help="the node's prover processes (default 2)")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"), help="where results and plots go")
    parser.add_argument("--report", action="store_true", help="only re-render the tables and plots of --out")
    args = parser.parse_args(argv)
    if args.report:
        runs = json.loads((args.out / "node_throughput.json").read_text())
        plot(runs, args.out)
        print(summary(runs, args.workers))
        return 0
    runs = []
    args.out.mkdir(parents=True, exist_ok=True)
    for k in (int(x) for x in args.ks.split(",")):
        run = run_k(k, args.seconds, args.ops, args.block_time, args.workers)
        print(f"k={k}: {run['accepted_tps']:.2f} tps accepted, {len(run['blocks'])} blocks", flush=True)
        runs.append(run)
        (args.out / "node_throughput.json").write_text(json.dumps(runs, indent=1) + "\n")  # after every k
    plot(runs, args.out)
    print(summary(runs, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
