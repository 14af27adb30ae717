"""Helpers of the ``rollup`` command-line tests: run a command in-process, write scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rollup.cli import main

Captured = pytest.CaptureFixture[str]


def run_cli(capsys: Captured, *argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``rollup ARGV``."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def send(a: str, b: str, amount: int) -> dict[str, Any]:
    return {"send": {"from": a, "to": b, "amount": amount}}


def claim(b: str) -> dict[str, Any]:
    return {"claim": {"by": b}}
