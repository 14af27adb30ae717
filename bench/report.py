"""The report of ``rollup bench``: Markdown and PNG plots (matplotlib, Agg) from measurements.

Measurements are a JSON document (:class:`Measurements`), so the report can be
re-rendered, and tested, without measuring anything. Layout::

    {"runs": [{"date", "python", "platform", "cpus", "load_average_at_start", "commit", "quick", "sections"}],
     "headline": {"10": {"transactions", "sessions", "reexecute_s", "verify_s"?, "proof_bytes"?, "prove_wall_s"?}},
     "proving": [{"executor", "workers", "sessions", "transactions", "wall_s", "busy_s", "efficiency", "tps",
                  "session_s": [[ops, s], ...], "agg_s": [s, ...], "block_s", "proof_bytes", "source"}],
     "kernels": {"group title": [[name, value, unit], ...]},
     "peer": {"status": "ok" | "skipped", "reason", "k", "depth", "rows": [{"system", "prove_s", "verify_s",
              "proof_bytes", "setup_s", "constraints"}], "notes": [...]}}

About 480 lines, over the usual 400, on purpose for now: each report section is
a short function beside the plot it embeds, and all read the layout above; the
plots are the part to split out if it grows.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen first

HEADLINE_PLOT = "verify_vs_reexecute.png"
PROVING_PLOT = "proving_time.png"
THROUGHPUT_PLOT = "throughput.png"
PEER_PLOT = "peer_comparison.png"
PLOT_DPI = 110


class Measurements(dict[str, Any]):
    """The measured figures, saved as JSON to ``path`` after every step."""

    def __init__(self, *args: Any, path: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> Measurements:
        return cls(json.loads(Path(path).read_text()), path=Path(path))

    def save(self) -> None:
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self, indent=1, default=list) + "\n")
            tmp.replace(self.path)


# ----------------------------------------------------------------------------- derived figures


def proven_verify_times(m: dict[str, Any]) -> list[float]:
    return [e["verify_s"] for e in m.get("headline", {}).values() if e.get("verify_s")]


def headline_rows(m: dict[str, Any]) -> list[dict[str, Any]]:
    """Per size: re-execution, verify (own, or borrowed from the proven blocks), ratio."""
    proven = proven_verify_times(m)
    reference = max(proven) if proven else None  # the slowest proven measurement: the conservative ratio
    rows = []
    for entry in sorted(m.get("headline", {}).values(), key=lambda e: e["transactions"]):
        if "reexecute_s" not in entry:
            continue
        own = entry.get("verify_s")
        verify = own if own else reference
        rows.append(
            {
                "transactions": entry["transactions"],
                "sessions": entry.get("sessions"),
                "reexecute_s": entry["reexecute_s"],
                "verify_s": verify,
                "verify_borrowed": own is None and verify is not None,
                "ratio": entry["reexecute_s"] / verify if verify else None,
                "proof_bytes": entry.get("proof_bytes"),
                "prove_wall_s": entry.get("prove_wall_s"),
            }
        )
    return rows


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1e3:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _s(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:,.1f} s"


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:,.3g}"


# ----------------------------------------------------------------------------- plots


def _save(fig: Any, path: Path) -> None:
    """Lay out, write as PNG (``PLOT_DPI``) and free the figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    plt.close(fig)


def plot_headline(m: dict[str, Any], path: Path) -> bool:
    rows = headline_rows(m)
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    xs = [r["transactions"] for r in rows]
    ax.loglog(xs, [r["reexecute_s"] for r in rows], "o-", label="re-execution (full node)")
    own = [(r["transactions"], r["verify_s"]) for r in rows if r["verify_s"] and not r["verify_borrowed"]]
    if own:
        ax.loglog([x for x, _ in own], [y for _, y in own], "s-", label="light-client verification (measured)")
    borrowed = [(r["transactions"], r["verify_s"]) for r in rows if r["verify_borrowed"]]
    if borrowed:
        ax.loglog(
            [x for x, _ in borrowed],
            [y for _, y in borrowed],
            "s",
            mfc="none",
            label="verification, block not proven (measured time of the proven blocks)",
        )
    ax.set_xlabel("transactions in the block")
    ax.set_ylabel("seconds")
    ax.set_title("Checking a block: verify its proof vs re-execute it")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)
    return True


def plot_proving(m: dict[str, Any], time_path: Path, tps_path: Path) -> bool:
    rows = [r for r in m.get("proving", []) if r["transactions"] >= 30 * r["sessions"]]  # (nearly) full sessions
    if not rows:
        return False
    executors = sorted({r["executor"] for r in rows})
    for path, key, ylabel, title in (
        (time_path, "wall_s", "proving time (s)", "Block proving time"),
        (tps_path, "tps", "transactions per second", "Block proving throughput (32 sends per session)"),
    ):
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for label in executors:
            points = sorted((r["sessions"], r[key]) for r in rows if r["executor"] == label)
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("sessions in the block")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        _save(fig, path)
    return True


def plot_peer(m: dict[str, Any], path: Path) -> bool:
    peer = m.get("peer") or {}
    rows = peer.get("rows") or []
    if peer.get("status") != "ok" or not rows:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.6))
    names = [r["system"] for r in rows]
    for ax, key, label, scale in (
        (axes[0], "prove_s", "prove (s)", 1.0),
        (axes[1], "verify_s", "verify (ms)", 1e3),
        (axes[2], "proof_bytes", "proof size (KiB)", 1 / 1024),
    ):
        values = [r[key] * scale for r in rows]
        bars = ax.bar(range(len(rows)), values, color=["C0", "C1", "C2", "C3"][: len(rows)])
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], fontsize=7)
        ax.set_xticks(range(len(rows)), names, rotation=20, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylim(min(values) / 10, max(values) * 3)  # a fixed floor: bar heights compare as ratios
        ax.set_title(label, fontsize=9)
    checks = "check" if peer.get("k") == 1 else "checks"
    fig.suptitle(f"{peer.get('k')} Merkle-membership {checks} of depth {peer.get('depth', 20)}", fontsize=10)
    _save(fig, path)
    return True


# ----------------------------------------------------------------------------- Markdown


def _machine(m: dict[str, Any]) -> list[str]:
    runs = m.get("runs", [])
    if not runs:
        return []
    first, last = runs[0], runs[-1]
    loads = ", ".join(str(r.get("load_average_at_start")) for r in runs)
    quick = " Reduced set (`--quick`)." if any(r.get("quick") for r in runs) else ""
    table = ["| run | date | code | sections | load average at start |", "|---:|---|---|---|---:|"]
    for i, r in enumerate(runs, 1):
        table.append(
            f"| {i} | {r.get('date')} | `{r.get('commit')}` | {', '.join(r.get('sections', []))}"
            f"{' (quick)' if r.get('quick') else ''} | {r.get('load_average_at_start')} |"
        )
    busy = max(float(r.get("load_average_at_start") or 0.0) for r in runs) >= int(last.get("cpus") or 1)
    load_note = (
        "The machine was **shared** with other jobs, so absolute times are pessimistic"
        if busy
        else "No other jobs ran on the machine (the load at a run's start is mostly the previous run's tail); a "
        "virtual machine's speed still varies with its host"
    )
    several = (
        [
            "Figures come from several runs (below); where a figure was measured in more than one run the best "
            "is kept. Each run names the code it measured; a block's proof and its verification always come "
            "from the same run.",
            "",
        ]
        if len(runs) > 1
        else []
    )
    return [
        f"Measured {first.get('date')}"
        + (f" to {last.get('date')}" if len(runs) > 1 else "")
        + f" on {last.get('platform')}, Python {last.get('python')}, "
        f"{last.get('cpus')} CPU cores. {load_note} (1-minute load average at the start of each run: {loads}); "
        f"cheap deterministic timings are the best of a few runs.{quick}",
        "",
        *several,
        *table,
        "",
    ]


def _sizes(rows: list[dict[str, Any]]) -> str:
    sizes = [f"{r['transactions']:,}" for r in rows]
    return sizes[0] if len(sizes) == 1 else ", ".join(sizes[:-1]) + " and " + sizes[-1]


def _rounds(rows: list[dict[str, Any]], m: dict[str, Any]) -> str:
    rounds = {m["headline"][str(r["transactions"])].get("verify_rounds") for r in rows}
    if len(rounds) == 1 and None not in rounds:
        return f" (all proofs in turn, {rounds.pop()} rounds, best time of each)"
    return ""


def _headline_md(m: dict[str, Any]) -> list[str]:
    rows = headline_rows(m)
    if not rows:
        return []
    out = [
        "## Headline: light-client verification vs re-execution",
        "",
        "A block of T transactions is T sends, one session per sender with up to 32 operations "
        "(`bench.workload`). Re-execution is what a full node without proofs does "
        "(`rollup.reexecute.reexecute_block`: every rule, every tree update, the new global root). "
        "Verification is the light client (`verifier.light_client.verify_block`) checking the block proof "
        "against the previous root. Ratio = re-execution time / verification time (above 1: the light client wins).",
        "",
        "| transactions | sessions | re-execution | light-client verify | ratio | block proof | proving (wall) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        verify = _ms(r["verify_s"]) + (" (not proven, see note)" if r["verify_borrowed"] else "")
        ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:,.2f}" + ("*" if r["verify_borrowed"] else "")
        size = f"{r['proof_bytes'] / 1024:,.1f} KiB" if r["proof_bytes"] else "not proven"
        prove = _s(r["prove_wall_s"]) if r["prove_wall_s"] else "not proven"
        out.append(
            f"| {r['transactions']:,} | {r['sessions']} | {_ms(r['reexecute_s'])} | {verify} | {ratio} "
            f"| {size} | {prove} |"
        )
    proven = [r for r in rows if not r["verify_borrowed"] and r["verify_s"]]
    unproven = [r for r in rows if r["verify_borrowed"]]
    out.append("")
    if proven:
        times = [r["verify_s"] for r in proven]
        spread = (max(times) - min(times)) / statistics.mean(times)
        out.append(
            f"Verification was measured on the proofs of the {_sizes(proven)}"
            f"-transaction blocks{_rounds(proven, m)}: {_ms(min(times))} to {_ms(max(times))} "
            f"(spread {spread:.0%}). Every block proof "
            "has the same shape under one verifier key, so verification cost does not depend on block size "
            "*by construction*, and the measurements show it."
        )
    if unproven:
        out += [
            "",
            f"\\* **Not proven in this run:** the {_sizes(unproven)}"
            "-transaction block(s). No proof of them was made, so no verification of them was timed; the "
            "ratio uses the *slowest measured* verify time of the proven blocks (constant by construction). "
            "Their re-execution times are measured.",
        ]
    out += ["", f"![verify vs re-execute]({HEADLINE_PLOT})", ""]
    return out


def _proving_md(m: dict[str, Any]) -> list[str]:
    rows = m.get("proving", [])
    if not rows:
        return []
    out = [
        "## Block proving",
        "",
        "Each block is proven end to end by `rollup.block_proving.prove_block`: one session proof per session "
        "(the leaves), one aggregation proof per node of the global tree, one block proof. Blocks of the "
        "proving benchmark have full sessions (32 sends each), except that the 32-session block is the "
        "1000-transaction headline block (31 full sessions and one of 8); rows marked *headline* were proven "
        "for the headline table. "
        "Parallel efficiency = busy time / (wall time x worker slots) from the executor's `RunResult`. Per-job "
        "times come from the job records (keys `session/`, `agg/`, `block`), measured on the workers; with two "
        "workers on two cores, each job runs beside another and is slower than alone.",
        "",
        "Each row is the best of its runs (column *runs*).",
        "",
        "| sessions | transactions | executor | runs | proving (wall) | throughput | parallel efficiency "
        "| session proof (median) | aggregation step (median) | block proof |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        sessions = [s for _, s in r.get("session_s", [])]
        aggs = r.get("agg_s", [])
        src = " (headline)" if str(r.get("source", "")).startswith("headline") else ""
        out.append(
            f"| {r['sessions']} | {r['transactions']:,}{src} | {r['executor']} | {r.get('runs', 1)} "
            f"| {_s(r['wall_s'])} "
            f"| {r['tps']:.2f} tx/s | {r['efficiency']:.0%} "
            f"| {_s(statistics.median(sessions)) if sessions else 'n/a'} "
            f"| {_s(statistics.median(aggs)) if aggs else 'n/a'} | {_s(r.get('block_s'))} |"
        )
    if any(r["executor"].startswith("Dask") for r in rows):
        out += [
            "",
            "The Dask local cluster's workers are fresh processes (not forked from the benchmark): each proves "
            "one small untimed block first (circuits built, kernels loaded); moving traces and proofs through "
            "the scheduler is inside the timing.",
        ]
    roots: dict[int, set[str]] = {}
    for r in rows:
        if r.get("new_root"):
            roots.setdefault(r["sessions"], set()).add(r["new_root"])
    shared = sorted(s for s, found in roots.items() if len(found) == 1 and sum(x["sessions"] == s for x in rows) > 1)
    differ = sorted(s for s, found in roots.items() if len(found) > 1)
    if shared:
        out += [
            "",
            f"Blocks of {', '.join(map(str, shared))} sessions proven by several executors: identical new root.",
        ]
    if differ:
        out += ["", f"**Different new roots** across executors for {', '.join(map(str, differ))} sessions."]
    by_size: dict[int, list[float]] = {}
    for r in rows:
        if r.get("workers") == 1:
            for ops, s in r.get("session_s", []):
                by_size.setdefault(ops, []).append(s)
    if by_size:
        out += [
            "",
            "Session proof time by session size (operations), from single-worker runs "
            f"(one session circuit{_rows(rows)} serves every session size, so the cost is flat):",
            "",
            "| operations in the session | proofs | min | median |",
            "|---:|---:|---:|---:|",
        ]
        for ops, times in sorted(by_size.items()):
            out.append(f"| {ops} | {len(times)} | {_s(min(times))} | {_s(statistics.median(times))} |")
    out += [
        "",
        "The plots show the blocks of (nearly) full sessions.",
        "",
        f"![proving time]({PROVING_PLOT})",
        "",
        f"![throughput]({THROUGHPUT_PLOT})",
        "",
    ]
    return out


def _rows(rows: list[dict[str, Any]]) -> str:
    shapes = {(r["rows_log2"]["session"], r["rows_log2"]["aggregation"]) for r in rows if r.get("rows_log2")}
    if len(shapes) != 1:
        return ""
    session, aggregation = shapes.pop()
    return f" of 2^{session} rows (aggregation and block proofs: 2^{aggregation})"


def _kernels_md(m: dict[str, Any]) -> list[str]:
    kernels = m.get("kernels", {})
    if not kernels:
        return []
    out = [
        "## Kernel and proof-system figures",
        "",
        "Rows returned by the existing benchmark functions (`bench.kernels`, `bench.hashing`, "
        "`bench.proof`), single thread unless a row says parallel, best of 3 runs each.",
        "",
    ]
    for title, rows in kernels.items():
        out += [f"### {title}", "", "| benchmark | value | unit |", "|---|---:|---|"]
        out += [f"| {name.strip()} | {_fmt(value)} | {unit} |" for name, value, unit in rows]
        out.append("")
    return out


def _peer_md(m: dict[str, Any]) -> list[str]:
    peer = m.get("peer")
    out = ["## Peer comparison: circom2 + snarkjs", ""]
    if not peer:
        return [*out, "Not run (`rollup bench --sections peer`).", ""]
    k, depth = peer.get("k"), peer.get("depth", 20)
    out += [
        f"The same application statement in each system: prove {k} Merkle-membership check(s) of depth {depth} "
        "(leaf, index bits, siblings private; roots public), each with its own algebraic hash: Poseidon2 over "
        "Goldilocks here (PLONK + FRI, hash-based, no trusted setup), circomlib's Poseidon over BN254 for "
        "snarkjs (PLONK with KZG, Groth16; local powers of tau). All from one benchmark run (each figure the best "
        "of its repeats); ratios are this project / peer "
        "(below 1: this project is faster or smaller). Driver: `bench/peer/`.",
        "",
    ]
    if peer.get("status") != "ok":
        return [*out, f"**Skipped:** {peer.get('reason')}", ""]
    rows = peer["rows"]
    ours = next((r for r in rows if r.get("ours")), rows[0])
    out += [
        "| system | constraints / rows | prove | verify | proof size | setup (one-off) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['system']} | {r.get('constraints', '')} | {_ms(r['prove_s'])} | {_ms(r['verify_s'])} "
            f"| {r['proof_bytes']:,} B | {_ms(r.get('setup_s'))} |"
        )
    out += ["", "| ratio (this project / peer) | prove | verify | proof size |", "|---|---:|---:|---:|"]
    for r in rows:
        if r is ours:
            continue
        out.append(
            f"| vs {r['system']} | {ours['prove_s'] / r['prove_s']:.3g} | {ours['verify_s'] / r['verify_s']:.3g} "
            f"| {ours['proof_bytes'] / r['proof_bytes']:.3g} |"
        )
    out += ["", *[f"* {note}" for note in peer.get("notes", [])], "", f"![peer comparison]({PEER_PLOT})", ""]
    return out


def render_markdown(m: dict[str, Any]) -> str:
    lines = ["# Rollup benchmarks (`rollup bench`)", ""]
    lines += _machine(m)
    lines += _headline_md(m) + _proving_md(m) + _kernels_md(m) + _peer_md(m)
    lines += [
        "## Reproduce",
        "",
        "From the repository root (the suite is its `bench/` folder, not part of the installed package), "
        'after `pip install ".[bench]"`:',
        "",
        "```sh",
        "rollup bench --out docs/bench            # everything (about 50 minutes on 2 idle cores)",
        "rollup bench --out docs/bench --prove-sizes 10 100 1000   # without proving the 10,000-tx block",
        "rollup bench --quick --out /tmp/bench    # smoke run",
        "rollup bench --out docs/bench --keep --sections peer   # add one section to a report",
        "```",
        "",
        "All figures are in `measurements.json` next to this report; `rollup bench --report-only --out DIR` "
        "re-renders it.",
        "",
    ]
    return "\n".join(lines)


def write_report(m: dict[str, Any], out: Path) -> list[Path]:
    """Write report.md and the plots that have data into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if plot_headline(m, out / HEADLINE_PLOT):
        written.append(out / HEADLINE_PLOT)
    if plot_proving(m, out / PROVING_PLOT, out / THROUGHPUT_PLOT):
        written += [out / PROVING_PLOT, out / THROUGHPUT_PLOT]
    if plot_peer(m, out / PEER_PLOT):
        written.append(out / PEER_PLOT)
    report = out / "report.md"
    report.write_text(render_markdown(m))
    written.append(report)
    return written
