"""Output of the ``rollup`` commands: the :class:`Ui` consoles, the usage error, and text formats."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console


class CliError(Exception):
    """A usage or input problem, reported on one line (exit status 2)."""


class Ui:
    """Human output on stdout (stderr in --json mode, where stdout carries only the JSON)."""

    def __init__(self, json_mode: bool = False) -> None:
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.out = self.err if json_mode else Console(highlight=False, soft_wrap=True)
        self.json_mode = json_mode

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.out.print(*objects, **kwargs)

    def note(self, text: str) -> None:
        self.out.print(text, markup=False)

    def warn(self, text: str) -> None:
        self.err.print(f"warning: {text}", markup=False, style="yellow")

    def error(self, text: str) -> None:
        self.err.print(f"error: {text}", markup=False, style="red")

    def data(self, document: Any) -> None:
        """The machine-readable result, alone on stdout."""
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        sys.stdout.flush()

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """A spinner on a terminal, one line otherwise, for work without a known length."""
        if self.err.is_terminal:
            with self.err.status(text):
                yield
        else:
            self.err.print(f"{text} ...", markup=False)
            yield


def write_output(path: Path, data: bytes, what: str) -> None:
    """Write ``data`` to ``path`` atomically (:mod:`rollup.files`); CliError naming ``what`` if that fails."""
    from rollup.files import FileWriteError, write_atomic

    try:
        write_atomic(path, data)
    except FileWriteError as exc:
        raise CliError(f"cannot write {what}: {exc}") from exc


def seconds_text(value: float) -> str:
    """``1.5 s`` from one second up, ``12.3 ms`` below."""
    return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.1f} ms"


def count_text(n: int, noun: str) -> str:
    """``1 session``, ``2 sessions``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def kb_text(size: int) -> str:
    """A size in bytes as kilobytes (1024 bytes), one decimal."""
    return f"{size / 1024:.1f} kB"
