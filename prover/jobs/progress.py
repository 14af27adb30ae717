"""Progress of a run: the events an executor sends, and a ``rich`` progress bar that shows them."""

from __future__ import annotations

import time
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

PLAIN_PROGRESS_INTERVAL = 30.0
"""Seconds between two plain progress lines of a :class:`RichProgress` that is not on a terminal."""


def broadcast(*callbacks: Progress | None) -> Progress:
    """One progress callback that hands each event to every given one, in order (``None`` is skipped).

    E.g. a caller's own callback (storing each proof as it exists) and a progress bar.
    """
    targets = [c for c in callbacks if c is not None]

    def each(event: ProgressEvent) -> None:
        for target in targets:
            target(event)

    return each


class RichProgress:
    """A ``rich`` progress bar as a :class:`Progress` callback; use as a context manager.

    When the console is not a terminal (output redirected to a log, under
    pytest) the bar is not drawn; instead, unless ``disable`` is given, a plain
    line ``<description>: <done>/<total> jobs finished, <failed> failed`` is
    printed at the first event after each ``interval`` seconds (by ``clock``),
    so a long run shows it is moving.  ``disable=True`` prints nothing at all,
    ``disable=False`` draws the bar even off a terminal.
    """

    def __init__(
        self,
        description: str = "jobs",
        *,
        console: Console | None = None,
        disable: bool | None = None,
        interval: float = PLAIN_PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ):
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
        self._console, self._description = console, description
        self._plain = disable is None and not console.is_terminal
        self._interval, self._clock = interval, clock
        self._last_line = clock()

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if event.status not in (None, "ok"):
            self._failed += 1
        self._bar.update(self._task, completed=event.done, total=event.total, failed=self._failed)
        if self._plain and self._clock() - self._last_line >= self._interval:
            self._last_line = self._clock()
            line = f"{self._description}: {event.done}/{event.total} jobs finished, {self._failed} failed"
            self._console.print(line, markup=False, highlight=False)
