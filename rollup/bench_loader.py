"""Find and import the benchmark suite behind ``rollup bench``; it is not part of the installed product.

The suite is the repository's top-level ``bench/`` folder (``bench/rollup_bench.py``
and its helpers) and needs the ``bench`` extra (matplotlib for the plots, galois
for the kernel comparison): ``pip install ".[bench]"`` from a checkout. The
folder is looked for, first found wins:

1. the folder given as ``--bench-dir DIR`` (only there, when given);
2. ``./bench`` under the working directory (``rollup bench`` run from the repository root);
3. ``bench/`` beside the running packages (an editable install of a checkout).

Its parent directory is put on ``sys.path`` and ``bench.rollup_bench`` is imported.
When the folder or a module of the extra is missing, :class:`BenchUnavailableError`
carries the one line telling the user how to get it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import rollup

BENCH_DIR_OPTION = "--bench-dir"
BENCH_FOLDER = "bench"
BENCH_MODULE = "bench.rollup_bench"
BENCH_EXTRA_MODULES = ("matplotlib", "galois")
"""Top-level modules the ``bench`` extra of pyproject.toml provides."""

UNAVAILABLE = (
    "`rollup bench` needs the repository's bench/ folder and the bench extra: "
    'from a checkout, run `pip install ".[bench]"`, then `rollup bench` from its root (or pass --bench-dir DIR)'
)


class BenchUnavailableError(Exception):
    """The benchmark suite cannot be imported here; ``str()`` is the one-line explanation."""


def bench_dir_argument(argv: Sequence[str]) -> Path | None:
    """The value of ``--bench-dir DIR`` or ``--bench-dir=DIR`` in ``argv``, else None."""
    for i, arg in enumerate(argv):
        if arg == BENCH_DIR_OPTION and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith(BENCH_DIR_OPTION + "="):
            return Path(arg.split("=", 1)[1])
    return None


def locate_bench(argv: Sequence[str], cwd: Path | None = None) -> Path | None:
    """The first candidate folder (see the module docstring) that holds the suite, or None."""
    given = bench_dir_argument(argv)
    if given is not None:
        candidates = [given]
    else:
        beside_packages = Path(rollup.__file__).resolve().parent.parent / BENCH_FOLDER
        candidates = [(cwd or Path.cwd()) / BENCH_FOLDER, beside_packages]
    for folder in candidates:
        if (folder / "rollup_bench.py").is_file() and folder.name == BENCH_FOLDER:
            return folder
    return None


def load_bench_main(argv: Sequence[str]) -> Callable[[list[str]], int]:
    """``main`` of ``bench.rollup_bench`` from the located folder; :class:`BenchUnavailableError` if impossible."""
    folder = locate_bench(argv)
    if folder is None:
        raise BenchUnavailableError(UNAVAILABLE)
    root = str(folder.resolve().parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(BENCH_MODULE)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in (BENCH_FOLDER, *BENCH_EXTRA_MODULES):
            raise
        raise BenchUnavailableError(UNAVAILABLE) from exc
    main: Callable[[list[str]], int] = module.main
    return main
