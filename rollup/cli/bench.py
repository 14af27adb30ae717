"""The command ``bench``: its arguments are found before parsing and handed to the ``bench/`` suite as they are."""

from __future__ import annotations

from collections.abc import Sequence

from rollup.cli.ui import Ui


def cmd_bench(argv: Sequence[str], ui: Ui) -> int:
    """``rollup bench``: delegated to the repository's ``bench/`` suite, found by :mod:`rollup.bench_loader`."""
    from rollup.bench_loader import BenchUnavailableError, load_bench_main

    try:
        bench_main = load_bench_main(argv)
    except BenchUnavailableError as exc:
        ui.error(str(exc))
        return 2
    try:
        result = bench_main(list(argv))
    except SystemExit as exc:  # its argument parser: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    return int(result or 0)


def _bench_arguments(arguments: list[str]) -> list[str] | None:
    """The arguments after ``bench`` when the command is ``rollup [--dir DIR] bench ...``, else None."""
    i = 0
    while i < len(arguments) and (arguments[i] == "--dir" or arguments[i].startswith("--dir=")):
        i += 2 if arguments[i] == "--dir" else 1
    return arguments[i + 1 :] if arguments[i : i + 1] == ["bench"] else None
