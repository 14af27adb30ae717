"""``rollup bench`` (bench/rollup_bench.py): the report writer (synthetic measurements), a quick run (slow).

No assertion here depends on how long anything takes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench import machine
from bench import report as bench_report
from bench import rollup_bench as bench
from bench.peer_comparison import peer_comparison
from bench.report import Measurements, headline_rows, write_report
from bench.workload import send_block, session_sizes
from rollup.cli import main as rollup_main
from rollup.params import SESSION_SLOTS
from rollup.reexecute import reexecute_block

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def synthetic() -> dict[str, Any]:
    return {
        "runs": [{"date": "2024-01-01 00:00 UTC", "commit": "abc1234", "cpus": 2, "load_average_at_start": 3.5}],
        "headline": {
            "10": {"transactions": 10, "sessions": 1, "reexecute_s": 0.001, "verify_s": 0.070, "proof_bytes": 120_000},
            "100": {"transactions": 100, "sessions": 4, "reexecute_s": 0.01, "verify_s": 0.072, "proof_bytes": 120_000},
            "10000": {"transactions": 10_000, "sessions": 313, "reexecute_s": 1.5},
        },
        "proving": [
            {
                "executor": f"local, {w} workers",
                "workers": w,
                "sessions": s,
                "transactions": 32 * s,
                "wall_s": 10.0 * s / w,
                "busy_s": 10.0 * s,
                "efficiency": 0.9,
                "tps": 3.2 * w,
                "session_s": [[32, 5.0]] * s,
                "agg_s": [9.0] * (s - 1),
                "block_s": 6.0,
                "proof_bytes": 120_000,
                "rows_log2": {"session": 13, "aggregation": 13},
            }
            for s in (2, 8)
            for w in (1, 2)
        ],
        "kernels": {"Field kernels": [["Goldilocks mul (numba)", 1.5e8, "mul/s"], ["NTT 2^20", 120.0, "ms"]]},
        "peer": {"status": "skipped", "reason": "`node` is not installed on this machine", "k": 4, "depth": 20},
    }


def test_headline_rows_label_unproven_sizes() -> None:
    rows = {r["transactions"]: r for r in headline_rows(synthetic())}
    assert not rows[10]["verify_borrowed"] and not rows[100]["verify_borrowed"]
    unproven = rows[10_000]
    assert unproven["verify_borrowed"] and unproven["proof_bytes"] is None
    assert unproven["verify_s"] == 0.072  # the slowest measured verification, never an invented figure
    assert unproven["ratio"] == pytest.approx(1.5 / 0.072)


def test_report_writer_produces_markdown_and_plots(tmp_path: Path) -> None:
    files = write_report(synthetic(), tmp_path)
    names = {f.name for f in files}
    assert names == {"report.md", bench_report.HEADLINE_PLOT, bench_report.PROVING_PLOT, bench_report.THROUGHPUT_PLOT}
    for name in names - {"report.md"}:
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
    report = (tmp_path / "report.md").read_text()
    assert "light-client verification vs re-execution" in report
    assert "Not proven in this run" in report and "10,000" in report
    assert "shared" in report
    assert "| 8 | 256 | local, 2 workers |" in report
    assert "one session circuit of 2^13 rows" in report
    assert "Goldilocks mul (numba)" in report
    assert "**Skipped:** `node` is not installed" in report
    for name in names - {"report.md"}:
        assert f"]({name})" in report


def test_peer_plot_and_ratios_when_the_peer_ran(tmp_path: Path) -> None:
    m = synthetic()
    m["peer"] = {
        "status": "ok",
        "k": 4,
        "depth": 20,
        "rows": [
            {"system": "this project", "ours": True, "prove_s": 2.0, "verify_s": 0.05, "proof_bytes": 100_000},
            {"system": "snarkjs Groth16", "prove_s": 4.0, "verify_s": 0.01, "proof_bytes": 256, "setup_s": 9.0},
        ],
        "notes": ["one note"],
    }
    files = write_report(m, tmp_path)
    assert tmp_path / bench_report.PEER_PLOT in files
    report = (tmp_path / "report.md").read_text()
    assert "| vs snarkjs Groth16 | 0.5 | 5 | 391 |" in report  # three significant figures


def test_report_only_rerenders_saved_measurements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Measurements(synthetic(), path=tmp_path / "measurements.json").save()
    assert json.loads((tmp_path / "measurements.json").read_text())["headline"]["10"]["sessions"] == 1
    assert bench.main(["--out", str(tmp_path), "--report-only"]) == 0
    assert (tmp_path / "report.md").exists() and (tmp_path / bench_report.HEADLINE_PLOT).exists()
    assert "ratio" in capsys.readouterr().out


def test_workload_sessions_and_reexecution() -> None:
    assert session_sizes(100, 32) == [32, 32, 32, 4]
    assert session_sizes(64, 32) == [32, 32]
    assert session_sizes(2 * SESSION_SLOTS + 1) == [SESSION_SLOTS, SESSION_SLOTS, 1]  # full sessions by default
    block = send_block(40, 32)
    assert [len(s.operations) for s in block.sessions] == [32, 8]
    root = reexecute_block(block.state, block.sessions)
    block.finalize()
    assert root == block.state.root


@pytest.mark.slow
def test_rollup_bench_quick_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    assert rollup_main(["bench", "--quick", "--out", str(out)]) == 0
    m = json.loads((out / "measurements.json").read_text())
    assert m["headline"]["10"]["verify_s"] > 0 and "verify_s" not in m["headline"]["100"]
    assert {(r["sessions"], r["workers"]) for r in m["proving"]} >= {(2, 1), (2, 2)}
    assert m["kernels"]
    for name in ("report.md", bench_report.HEADLINE_PLOT, bench_report.PROVING_PLOT, bench_report.THROUGHPUT_PLOT):
        assert (out / name).exists()
    assert "report:" in capsys.readouterr().out


def test_peer_comparison_is_skipped_with_the_reason_when_the_driver_is_absent(tmp_path: Path) -> None:
    result = peer_comparison(1, 1, say=lambda _: None, peer_dir=tmp_path / "nowhere")
    assert result["status"] == "skipped"
    assert f"no peer driver at {tmp_path / 'nowhere'}/run.mjs" in result["reason"]
    assert "--peer-dir" in result["reason"]


def test_source_digest_follows_the_sources(tmp_path: Path) -> None:
    for package in machine.PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    before = machine.source_digest(tmp_path)
    (tmp_path / "prover" / "ntt.py").write_text("X = 1\n")
    changed = machine.source_digest(tmp_path)
    (tmp_path / "prover" / "ntt.py").write_text("X = 2\n")
    assert len({before, changed, machine.source_digest(tmp_path)}) == 3


def test_code_identity_names_the_checkout_commit_when_running_its_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = Path(machine.__file__).resolve().parent.parent
    monkeypatch.chdir(checkout)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    identity = machine.code_identity()
    assert identity.startswith(head.stdout.strip()), identity
