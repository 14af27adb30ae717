"""The ``rollup`` argument parser: usage errors and help; the light client stays apart from the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli_support import Captured, run_cli


def test_usage_errors_exit_2(capsys: Captured, tmp_path: Path) -> None:
    assert run_cli(capsys, "--dir", str(tmp_path))[0] == 2  # no command
    assert run_cli(capsys, "frobnicate")[0] == 2
    assert run_cli(capsys, "block", "prove", "abc")[0] == 2
    assert run_cli(capsys, "block", "prove", "-1")[0] == 2
    assert run_cli(capsys, "demo", "--workers", "0")[0] == 2
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "demo" in out and "reexecute" in out


def test_light_client_imports_only_the_verifier() -> None:
    code = (
        "import sys, verifier.light_client\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rollup', 'prover', 'circuits'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
