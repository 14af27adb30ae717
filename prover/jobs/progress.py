"""Progress of a run: the events an executor sends, and a ``rich`` progress bar that shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from prover.jobs.model import JobStatus

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class ProgressEvent:
    """Sent once with ``key=None`` when a run starts, then once per finished job.

    ``value`` is the job's result when ``status == "ok"`` (so a caller can store
    each proof as soon as it exists), else ``None``.
    """

    done: int
    total: int
    key: str | None = None
    status: JobStatus | None = None
    value: Any = None


Progress = Callable[[ProgressEvent], None]
"""A progress callback, e.g. ``events.append`` or a :class:`RichProgress`."""


class RichProgress:
    """A ``rich`` progress bar as a :class:`Progress` callback; use as a context manager.

    Disabled (silent) when the console is not a terminal, e.g. under pytest or
    when output is redirected, unless ``disable`` says otherwise.
    """

    def __init__(self, description: str = "jobs", *, console: Console | None = None, disable: bool | None = None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as _RichBar

        console = console or Console(stderr=True)
        self._bar = _RichBar(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal if disable is None else disable,
            transient=False,
        )
        self._task = self._bar.add_task(description, total=None, failed=0)
        self._failed = 0

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if event.status not in (None, "ok"):
            self._failed += 1
        self._bar.update(self._task, completed=event.done, total=event.total, failed=self._failed)
