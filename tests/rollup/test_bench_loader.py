"""``rollup bench`` finds the repository's bench/ suite; the installed product neither ships nor needs it.

The subprocess tests run a fresh interpreter, so modules this test session
already imported (the bench tests import ``bench`` and matplotlib) do not count.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

from rollup.bench_loader import BENCH_MODULE, UNAVAILABLE, bench_dir_argument, locate_bench
from rollup.cli import main

REPOSITORY = Path(__file__).resolve().parents[2]
PLOTTING = ("matplotlib", "plotly", "seaborn", "bokeh")


def rollup_bench_in_fresh_process(prelude: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``rollup bench ARGV`` in a new interpreter after running ``prelude``."""
    code = f"{prelude}\nimport sys\nfrom rollup.cli import main\nsys.exit(main(['bench', *sys.argv[1:]]))\n"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=cwd, check=False)


def assert_one_line_how_to_get_it(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {UNAVAILABLE}"]
    assert 'pip install ".[bench]"' in done.stderr


def test_the_installed_product_does_not_import_matplotlib() -> None:
    code = (
        "import sys, rollup.cli, rollup.block_proving, prover, circuits, verifier, verifier.light_client\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "assert 'bench' not in sys.modules, 'the bench folder was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPOSITORY)


def test_plotting_is_an_extra_and_bench_is_not_installed() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    core = " ".join(project["project"]["dependencies"])
    assert not [name for name in PLOTTING if name in core]
    assert any(d.startswith("matplotlib") for d in project["project"]["optional-dependencies"]["bench"])
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [pattern for pattern in included if pattern.startswith("bench")]


def test_without_the_bench_folder_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "bench"
    empty.mkdir()
    assert_one_line_how_to_get_it(rollup_bench_in_fresh_process("", "--bench-dir", str(empty), cwd=tmp_path))


def test_without_the_bench_extra_one_line_and_exit_2(tmp_path: Path) -> None:
    blocked = "import sys\nsys.modules['matplotlib'] = None  # as if the bench extra were not installed"
    done = rollup_bench_in_fresh_process(blocked, "--report-only", "--out", str(tmp_path), cwd=REPOSITORY)
    assert_one_line_how_to_get_it(done)


def test_the_folder_is_found_under_the_working_directory_or_where_given(tmp_path: Path) -> None:
    assert locate_bench([], cwd=REPOSITORY) == REPOSITORY / "bench"
    assert locate_bench(["--bench-dir", str(tmp_path)]) is None  # only the given folder is looked at
    assert locate_bench([f"--bench-dir={REPOSITORY / 'bench'}"], cwd=tmp_path) == REPOSITORY / "bench"
    assert bench_dir_argument(["--quick", "--bench-dir", "x"]) == Path("x")
    assert bench_dir_argument(["--quick"]) is None


def test_bench_is_delegated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    monkeypatch.chdir(REPOSITORY)
    monkeypatch.setitem(sys.modules, BENCH_MODULE, types.SimpleNamespace(main=fake_main))
    assert main(["bench", "--quick", "--out", "x"]) == 0
    assert main(["--dir", str(tmp_path), "bench", "--help"]) == 0
    assert calls == [["--quick", "--out", "x"], ["--help"]]
